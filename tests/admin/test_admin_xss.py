"""An answer containing <script> is escaped on every admin page and sent to LINE as plain text."""

from __future__ import annotations

import json

from knowledge import editing
from knowledge.models import FaqEntry, UnansweredQuestion
from tests.support.admin import post_form
from tests.support.driver import WebhookUser

SCRIPT = "<script>alert('xss')</script>"
QUESTION = f"スクリプト{SCRIPT}の質問ですか？"
FAQ = "centre_info.xss_probe"


def publish_probe(factory) -> None:
    with factory() as s:
        base = editing.row_data(s.get(FaqEntry, "centre_info.hours"))
        data = {
            **base,
            "id": FAQ,
            "question": QUESTION,
            "paraphrases": [f"ぷろーぶ{SCRIPT}"],
            "answer": f"回答です。{SCRIPT}<img src=x onerror=alert(1)>",
            "source": f"出典{SCRIPT}",
            "note": f"メモ{SCRIPT}",
            "follow_up": {"booking": None, "coordinator": False, "related": []},
        }
        editing.publish(s, data, f"author{SCRIPT}")
        editing.save_draft(s, {**data, "answer": f"下書き{SCRIPT}"}, "s")
        s.add(UnansweredQuestion(text=f"未回答{SCRIPT}", reason="abstained", best_faq_id=FAQ))
        s.commit()


def test_every_page_escapes_the_script(staff, admin_client, factory):
    publish_probe(factory)
    form = {"faq_id": FAQ, "text": f"言い換え{SCRIPT}", "id": "1"}
    paraphrase_preview = staff.get("/admin/unanswered/preview", query_string=form)
    form["confirmed"] = "1"  # what the preview's button sends
    assert post_form(staff, "/admin/unanswered/paraphrase", form, page="/admin/unanswered/").status_code == 302
    pages = {
        "paraphrase preview": paraphrase_preview,
        "list": staff.get("/admin/faq/"),
        "search": staff.get("/admin/faq/?q=スクリプト"),
        "edit": staff.get(f"/admin/faq/e/{FAQ}"),
        "history": staff.get(f"/admin/faq/e/{FAQ}/history"),
        "unanswered": staff.get("/admin/unanswered/"),
        "insights": staff.get("/admin/insights/"),
        "new": staff.get(f"/admin/faq/new?question={SCRIPT}"),
        "audit": admin_client.get("/admin/users/audit"),
        "preview": post_form(
            staff,
            "/admin/faq/preview",
            {"topic": "centre_info", "question": QUESTION, "answer": SCRIPT},
            page="/admin/faq/",
        ),
        "try": post_form(
            staff,
            "/admin/faq/try",
            {"id": FAQ, "topic": "centre_info", "question": QUESTION, "answer": SCRIPT, "q": QUESTION},
            page="/admin/faq/",
        ),
    }
    for name, response in pages.items():
        html = response.get_data(as_text=True)
        assert response.status_code == 200, name
        assert "<script>alert" not in html and "<img src=x" not in html, name
        assert "&lt;script&gt;alert(" in html, name


def test_the_bot_sends_the_script_to_line_as_plain_text(app, factory, post_events):
    publish_probe(factory)
    messages = WebhookUser(app, post_events).says(QUESTION)
    card = next(m for m in messages if m["type"] == "flex")
    texts = json.dumps(card, ensure_ascii=False)
    assert f"回答です。{SCRIPT}<img src=x onerror=alert(1)>" in [
        c["text"] for c in card["contents"]["body"]["contents"]
    ]
    assert "&lt;" not in texts and "&amp;" not in texts
    assert SCRIPT in card["altText"]
