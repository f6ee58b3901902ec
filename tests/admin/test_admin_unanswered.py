"""The unanswered inbox: grouped, masked, and one action per group (paraphrase, new FAQ, dismiss)."""

from __future__ import annotations

from sqlalchemy import select

from admin.insights.grouping import Question, group_questions
from knowledge.models import FaqEntry, UnansweredQuestion
from tests.support.admin import post_form
from tests.support.driver import WebhookUser, visible

ODD = "あつまる人数は何人いれば"  # a wording the bot does not answer yet


def test_similar_questions_are_grouped_with_counts():
    questions = [
        Question(1, "駐車場はありますか", "abstained"),
        Question(2, "印刷機を使いたい", "abstained", "centre_info.hours"),
        Question(3, "駐車場ある？", "low_confidence", "centre_info.hours"),
        Question(4, "駐車場", "unhelpful", "centre_info.hours"),
        Question(5, "印刷機を使えますか", "abstained"),
        Question(6, "NPOの会計について", "abstained"),
    ]
    groups = group_questions(questions)
    assert [(g.count, g.text) for g in groups] == [
        (3, "駐車場はありますか"),
        (2, "印刷機を使いたい"),
        (1, "NPOの会計について"),
    ]
    assert groups[0].reasons == {"abstained": 1, "low_confidence": 1, "unhelpful": 1}
    assert groups[0].suggested_faq == "centre_info.hours" and groups[0].ids == [1, 3, 4]


def test_personal_data_is_masked_in_the_inbox(staff, factory):
    with factory() as s:
        s.add(UnansweredQuestion(text="090-1234-5678 に電話ください taro@example.com", reason="abstained"))
        s.commit()
    page = staff.get("/admin/unanswered/").get_data(as_text=True)
    assert "1234-5678" not in page and "taro@example.com" not in page and "［メール］" in page


def test_a_paraphrase_makes_the_bot_answer_and_the_group_disappears(app, staff, factory, post_events):
    resident = WebhookUser(app, post_events)
    assert "社員が10人以上必要です" not in visible(resident.says(ODD))
    with factory() as s:
        ids = [q.id for q in s.scalars(select(UnansweredQuestion))]
    assert ids, "the bot should have logged the question it could not answer"
    page = staff.get("/admin/unanswered/").get_data(as_text=True)
    assert ODD in page
    tried = post_form(
        staff, "/admin/unanswered/try", {"faq_id": "founding.npo_min_members", "q": ODD}, page="/admin/unanswered/"
    ).get_data(as_text=True)
    assert "この回答を返す" in tried.split("この編集を公開したら")[1]
    form = {"faq_id": "founding.npo_min_members", "text": ODD, "id": [str(i) for i in ids]}
    unconfirmed = post_form(staff, "/admin/unanswered/paraphrase", form, page="/admin/unanswered/")
    assert "/admin/unanswered/preview?" in unconfirmed.headers["Location"]  # nothing is published without a preview
    with factory() as s:
        assert ODD not in s.get(FaqEntry, "founding.npo_min_members").paraphrases
    preview = staff.get(unconfirmed.headers["Location"]).get_data(as_text=True)
    assert "まだ公開していません" in preview and "社員が10人以上必要です" in preview
    assert "この回答を返す" in preview.split("この編集を公開したら")[1]
    form["confirmed"] = "1"
    assert post_form(staff, "/admin/unanswered/paraphrase", form, page="/admin/unanswered/").status_code == 302
    assert "社員が10人以上必要です" in visible(resident.says(ODD))
    with factory() as s:
        assert ODD in s.get(FaqEntry, "founding.npo_min_members").paraphrases
        assert {q.status for q in s.scalars(select(UnansweredQuestion).where(UnansweredQuestion.id.in_(ids)))} == {
            "resolved"
        }
    assert ODD not in staff.get("/admin/unanswered/").get_data(as_text=True)


def test_dismissed_questions_leave_the_inbox(staff, factory):
    with factory() as s:
        s.add_all([UnansweredQuestion(text="あいうえおかきくけこ", reason="abstained") for _ in range(2)])
        s.commit()
        ids = list(s.scalars(select(UnansweredQuestion.id)))
    page = staff.get("/admin/unanswered/").get_data(as_text=True)
    assert "2件" in page
    post_form(staff, "/admin/unanswered/dismiss", {"id": [str(i) for i in ids]}, page="/admin/unanswered/")
    with factory() as s:
        assert set(s.scalars(select(UnansweredQuestion.status))) == {"dismissed"}
    assert "未対応の質問はありません" in staff.get("/admin/unanswered/").get_data(as_text=True)


def test_the_new_faq_link_carries_the_wording_and_the_ids(staff, factory):
    with factory() as s:
        s.add_all([UnansweredQuestion(text=t, reason="abstained") for t in ("印刷機を使いたい", "印刷機を使えますか")])
        s.commit()
    page = staff.get("/admin/unanswered/").get_data(as_text=True)
    link = page.split("新しいFAQを作る")[0].rsplit('href="', 1)[1]
    assert link.startswith("/admin/faq/new?") and "resolve=" in link and "paraphrase=" in link


def test_the_preview_warns_when_the_target_is_in_another_field(staff, factory):
    """A subsidy question pointed at a volunteering entry: the preview names both fields and the real first
    match, and nothing is published until staff confirm; the inbox preselects no target."""
    with factory() as s:
        s.add(UnansweredQuestion(text="子ども食堂の補助金はありますか", reason="abstained"))
        s.commit()
        ids = [str(q.id) for q in s.scalars(select(UnansweredQuestion))]
        volunteer = s.scalar(select(FaqEntry.id).where(FaqEntry.topic == "volunteer").order_by(FaqEntry.id))
    inbox = staff.get("/admin/unanswered/").get_data(as_text=True)
    assert 'type="radio" name="faq_id"' in inbox and "checked" not in inbox.split('class="paraphrase"')[1]
    query = {"id": ids, "faq_id": "other", "faq_other": volunteer, "text": "子ども食堂の補助金はありますか"}
    page = staff.get("/admin/unanswered/preview", query_string=query).get_data(as_text=True)
    assert "公開する前に確かめてください" in page and "「ボランティア」の分野です" in page
    assert "いま公開中の内容" in page and "この編集を公開したら" in page
    with factory() as s:
        assert "子ども食堂の補助金はありますか" not in s.get(FaqEntry, volunteer).paraphrases
