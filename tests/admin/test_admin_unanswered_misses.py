"""The unanswered inbox shows the answer that was given for questions rated unhelpful or asked again."""

from __future__ import annotations

from tests.support.conversation import freeze_clock
from tests.support.driver import WebhookUser

QUESTION = "NPO法人の理事って何人以上いればいいですか"


def test_the_inbox_row_shows_the_answer_given_its_register_and_the_rephrase(app, staff, post_events):
    freeze_clock(app)
    resident = WebhookUser(app, post_events)
    resident.says(QUESTION)
    resident.taps("役に立たなかった")
    resident.says(QUESTION)
    resident.says("そうじゃなくて、監事も必要ですか")
    page = staff.get("/admin/unanswered/").get_data(as_text=True)
    assert QUESTION in page
    assert "役に立たなかった 1" in page and "回答の直後に言い直し 1" in page
    given = page.split("ボットが出した回答（日本語）", 1)[1]
    assert "理事3人以上" in given.split("</blockquote>", 1)[0]  # the answer's text, as the resident read it
    assert "/admin/faq/e/" in given.split("<blockquote>", 1)[0]  # the entry, one click away
    assert "直後の言い直し: 「そうじゃなくて、監事も必要ですか」" in page


def test_an_english_answer_is_shown_in_english(app, staff, post_events):
    freeze_clock(app)
    resident = WebhookUser(app, post_events)
    resident.says("English")
    resident.says("How many officers for an NPO?")
    resident.taps("Not helpful")
    page = staff.get("/admin/unanswered/").get_data(as_text=True)
    assert "ボットが出した回答（英語）" in page
