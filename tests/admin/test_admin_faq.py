"""The FAQ editor through the test client: list, edit, preview, try, draft, publish, history, revert, archive; the
three registers (日本語 / やさしい日本語 / English) and the review-by date."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from bot.line import messages as m
from knowledge.models import AnswerFeedback, FaqEntry, UnansweredQuestion
from tests.support.admin import csrf_token, post_form
from tests.support.conversation import freeze_clock
from tests.support.driver import WebhookUser, visible

FAQ = "founding.npo_min_members"
ASK = "NPO法人って最低何名からですか"


def editor_form(client, faq_id=FAQ, **changes):
    """The edit form's current fields (as the browser would submit them) with some changed."""
    page = client.get(f"/admin/faq/e/{faq_id}").get_data(as_text=True)
    fields = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)}
    for name in ("id", "question", "question_en", "source", "related", "valid_from", "valid_until", "reviewed_at"):
        match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
        fields[name] = _unescape(match.group(1)) if match else ""
    fields["review_by"] = re.search(r'name="review_by" value="([^"]*)"', page).group(1)
    for name in ("paraphrases", "answer", "answer_easy", "answer_en", "note"):
        fields[name] = _unescape(re.search(rf'name="{name}"[^>]*>(.*?)</textarea>', page, re.S).group(1))
    fields["topic"] = re.search(r'<option value="(\w+)" selected>', page).group(1)
    booking = re.search(r'<select id="booking".*?</select>', page, re.S).group(0)
    chosen = re.search(r'<option value="(\w+)" selected>', booking)
    fields["booking"] = chosen.group(1) if chosen else ""
    if re.search(r'name="coordinator" value="1" checked', page):
        fields["coordinator"] = "1"
    return {**fields, **changes}


def _unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<").replace("&gt;", ">").replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")
    )


def bot_says(app, post_events, text=ASK) -> str:
    return visible(WebhookUser(app, post_events).says(text))


def bot_shows_the_faq(app, post_events, language: str) -> str:
    """What a resident who chose this language (「English」, 「やさしい日本語」) sees on tapping the FAQ's chip."""
    user = WebhookUser(app, post_events)
    user.says(language)
    return visible(user.tap(m.Choice("faq", data={"a": "faq", "id": FAQ}).action()))


def test_the_list_searches_with_the_bots_retrieval(app, staff):
    query = "NPOって何人いればつくれる"
    page = staff.get(f"/admin/faq/?q={query}").get_data(as_text=True)
    listed = re.findall(r'<tr>\s*<td><a href="/admin/faq/e/([\w.]+)"', page)
    with app.extensions["madoguchi"].session_factory() as s:
        ranked = [m.entry.id for m in app.extensions["madoguchi"].context.knowledge.get(s).search(query, None, k=3)]
    assert listed[:3] == ranked and FAQ in ranked and "一致度" in page


def test_the_list_filters_by_topic_status_expiry_and_rating(staff, factory):
    with factory() as s:
        s.get(FaqEntry, "founding.npo_steps").valid_until = s.get(FaqEntry, FAQ).reviewed_at
        s.add_all([AnswerFeedback(faq_id="volunteer.disaster", helpful=False) for _ in range(3)])
        s.commit()
    topic = staff.get("/admin/faq/?topic=referral").get_data(as_text=True)
    assert "referral." in topic and "founding." not in topic
    expiring = staff.get("/admin/faq/?flag=expiring").get_data(as_text=True)
    assert "founding.npo_steps" in expiring and FAQ not in expiring
    low = staff.get("/admin/faq/?flag=low_rating").get_data(as_text=True)
    assert "volunteer.disaster" in low and "0 / 3" in low
    assert "該当するFAQはありません" in staff.get("/admin/faq/?status=draft").get_data(as_text=True)


def test_the_editor_previews_the_line_message_with_the_bots_builder(staff):
    page = staff.get(f"/admin/faq/e/{FAQ}").get_data(as_text=True)
    preview = page.split('id="preview"')[1]
    assert "NPO法人をつくるには何人必要ですか？" in preview and "社員が10人以上必要です" in preview
    assert "出典" in preview or "特定非営利活動促進法" in preview
    assert 'class="chip"' in preview and "役に立った" in preview


def test_the_live_preview_fragment_follows_the_form(staff):
    form = editor_form(staff, answer="編集中の回答です。")
    fragment = staff.post("/admin/faq/preview", data=form).get_data(as_text=True)
    assert "編集中の回答です。" in fragment and "<html" not in fragment


def test_try_shows_the_top_three_now_and_after_the_edit(staff):
    form = editor_form(staff, paraphrases="ほうじん なんにん", q="ほうじん なんにん")
    fragment = staff.post("/admin/faq/try", data=form).get_data(as_text=True)
    before, after = fragment.split("この編集を公開したら")
    assert FAQ in after.split("</tr>")[1] and 'class="mine"' in after
    assert re.search(r"\d\.\d{3}", before) and after.count("<tr") <= 4
    assert "この回答を返す" in after


def test_a_draft_does_not_change_what_the_bot_says_publishing_does(app, staff, post_events):
    form = editor_form(staff, answer="社員は10人以上必要です（管理画面で修正）。", action="draft")
    assert staff.post("/admin/faq/save", data=form).status_code == 302
    assert "管理画面で修正" not in bot_says(app, post_events)
    page = staff.get(f"/admin/faq/e/{FAQ}").get_data(as_text=True)
    assert "未公開の下書きを表示中" in page and "管理画面で修正" in page
    form = editor_form(staff, action="publish")
    assert staff.post("/admin/faq/save", data=form).status_code == 302
    assert "管理画面で修正" in bot_says(app, post_events)


def test_history_shows_the_diff_and_revert_restores_the_old_answer(app, staff, post_events):
    staff.post("/admin/faq/save", data=editor_form(staff, answer="まちがった回答", action="publish"))
    history = staff.get(f"/admin/faq/e/{FAQ}/history").get_data(as_text=True)
    assert 'class="add">+ まちがった回答' in history and 'class="del">- NPO法人には' in history
    response = post_form(staff, f"/admin/faq/e/{FAQ}/revert/1", page=f"/admin/faq/e/{FAQ}/history")
    assert response.status_code == 302
    said = bot_says(app, post_events)
    assert "まちがった回答" not in said and "社員が10人以上必要です" in said


def test_archiving_stops_the_bot_answering(app, staff, post_events, factory):
    post_form(staff, f"/admin/faq/e/{FAQ}/status", {"action": "archived"}, page=f"/admin/faq/e/{FAQ}")
    with factory() as s:
        assert s.get(FaqEntry, FAQ).status == "archived"
    assert "社員が10人以上必要です" not in bot_says(app, post_events)


def test_invalid_input_is_explained_and_nothing_is_saved(staff, factory):
    response = staff.post("/admin/faq/save", data=editor_form(staff, related="founding.nope", action="publish"))
    assert response.status_code == 400 and "関連FAQのIDが見つかりません" in response.get_data(as_text=True)
    with factory() as s:
        assert s.get(FaqEntry, FAQ).version == 1


def test_a_new_faq_prefilled_from_the_inbox_resolves_its_questions(staff, factory):
    with factory() as s:
        s.add_all([UnansweredQuestion(text=t, reason="abstained") for t in ("会議室を借りたい", "会議室 予約")])
        s.commit()
        ids = list(s.scalars(select(UnansweredQuestion.id)))
    query = "&".join(f"resolve={i}" for i in ids)
    page = staff.get(f"/admin/faq/new?topic=centre_info&question=会議室を借りたい&paraphrase=会議室+予約&{query}")
    html = page.get_data(as_text=True)
    assert 'value="会議室を借りたい"' in html and "会議室 予約</textarea>" in html
    form = {
        "csrf_token": csrf_token(staff, "/admin/faq/new"),
        "id": "centre_info.meeting_room",
        "topic": "centre_info",
        "question": "会議室を借りられますか？",
        "paraphrases": "会議室を借りたい\n会議室 予約",
        "answer": "会議室の貸し出しは行っていません。",
        "action": "publish",
        "resolve": [str(i) for i in ids],
    }
    assert staff.post("/admin/faq/save", data=form).status_code == 302
    with factory() as s:
        assert s.get(FaqEntry, "centre_info.meeting_room").status == "published"
        assert set(s.scalars(select(UnansweredQuestion.status))) == {"resolved"}


def test_a_new_faq_cannot_take_an_existing_id(staff, factory):
    form = {
        "csrf_token": csrf_token(staff, "/admin/faq/new"),
        "new": "1",
        "id": FAQ,
        "topic": "founding",
        "question": "上書きしようとする質問",
        "answer": "上書き",
        "action": "publish",
    }
    response = staff.post("/admin/faq/save", data=form)
    assert response.status_code == 400 and "すでに使われています" in response.get_data(as_text=True)
    with factory() as s:
        assert s.get(FaqEntry, FAQ).answer != "上書き"


def test_staff_see_and_edit_all_three_registers_and_the_review_date(staff, factory):
    with factory() as s:
        row = s.get(FaqEntry, FAQ)
        shipped = (row.question_en, row.answer_easy, row.answer_en, row.review_by.isoformat())
    form = editor_form(staff)
    assert (form["question_en"], form["answer_easy"], form["answer_en"], form["review_by"]) == shipped
    form = editor_form(staff, answer_easy="なおした やさしい こたえ", review_by="2031-04-01", action="publish")
    assert staff.post("/admin/faq/save", data=form).status_code == 302
    with factory() as s:
        row = s.get(FaqEntry, FAQ)
        assert row.answer_easy == "なおした やさしい こたえ" and row.review_by.isoformat() == "2031-04-01"
        assert (row.question_en, row.answer_en) == shipped[:1] + shipped[2:3]
    history = staff.get(f"/admin/faq/e/{FAQ}/history").get_data(as_text=True)
    assert 'class="add">+ なおした やさしい こたえ' in history and "2031-04-01" in history


def test_the_preview_shows_the_answer_in_each_register(staff):
    form = editor_form(staff, answer="ふつうの回答", answer_easy="やさしい こたえ", answer_en="The English answer")
    fragment = staff.post("/admin/faq/preview", data=form).get_data(as_text=True)
    ja, easy, en = (shown_in(fragment, name) for name in ("日本語", "やさしい日本語", "English"))
    assert "ふつうの回答" in ja and "やさしい こたえ" in easy and "The English answer" in en
    assert form["question_en"] in en and "Was this answer helpful?" in en
    fallback = staff.post("/admin/faq/preview", data={**form, "answer_en": ""}).get_data(as_text=True)
    assert "only available in Japanese" in shown_in(fallback, "English")


def shown_in(fragment: str, register: str) -> str:
    """The preview of one register (日本語 / やさしい日本語 / English) in the preview fragment."""
    return fragment.split(f'<h3 class="register">{register}</h3>')[1].split("<h3")[0]


def test_an_admin_edit_of_the_english_answer_is_served_to_english_speakers(app, staff, post_events):
    form = editor_form(staff, answer_en="You need at least 10 members (edited in the admin).", action="publish")
    assert staff.post("/admin/faq/save", data=form).status_code == 302
    english = bot_shows_the_faq(app, post_events, "English")
    assert "edited in the admin" in english and "社員が10人以上必要です" not in english
    assert "edited in the admin" not in bot_says(app, post_events)  # Japanese residents keep the Japanese answer


def test_entries_past_their_review_date_are_listed_for_staff(app, staff, factory):
    today = freeze_clock(app)().date()  # before every shipped review_by
    with factory() as s:
        s.get(FaqEntry, "founding.npo_steps").review_by = today - timedelta(days=1)
        s.get(FaqEntry, FAQ).review_by = today
        s.commit()
    due = staff.get("/admin/faq/?flag=review_due").get_data(as_text=True)
    assert "founding.npo_steps" in due and FAQ not in due and "見直し期限切れ" in due
    assert "1件" in due
    home = staff.get("/admin/").get_data(as_text=True)
    assert re.search(r'id="count-review-due">1<', home) and "見直し期限切れのFAQ" in home
