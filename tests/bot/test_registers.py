"""FAQ answers in the resident's register: English, やさしい日本語 or Japanese; a missing one falls back with a note."""

from __future__ import annotations

import pytest

from bot.line import messages as m
from knowledge import editing
from knowledge.entries import Entry
from knowledge.models import FaqEntry
from knowledge.store import row_to_entry
from tests.support.conversation import freeze_clock
from tests.support.driver import WebhookUser, visible

FAQ = "founding.npo_min_members"
ASK = "NPO法人って最低何名からですか"  # one of its paraphrases
NOTES = {
    "English": "(Sorry, this answer is only available in Japanese.)",
    "やさしい日本語": "（この こたえは、ふつうの 日本語で 書いて あります。）",
}


@pytest.fixture
def user(app, post_events):
    freeze_clock(app)
    return WebhookUser(app, post_events)


def stored(app, faq_id: str = FAQ) -> Entry:
    with app.extensions["madoguchi"].session_factory() as session:
        return row_to_entry(session.get(FaqEntry, faq_id))


def staff_publish(app, faq_id: str = FAQ, **changes) -> None:
    with app.extensions["madoguchi"].session_factory() as session:
        data = editing.row_data(session.get(FaqEntry, faq_id))
        editing.publish(session, {**data, **changes}, "staff@example.org")
        session.commit()


def opens_faq(user: WebhookUser, faq_id: str = FAQ) -> str:
    """Tap the entry's chip (as from a related question or もしかして) and read the answer."""
    return visible(user.tap(m.Choice("faq", data={"a": "faq", "id": faq_id}).action()))


def first_line(text: str) -> str:
    return text.strip().splitlines()[0]


def test_an_english_speaking_resident_gets_the_english_answer_card(app, user):
    entry = stored(app)
    assert entry.question_en and entry.answer_en
    user.says("English")
    text = opens_faq(user)
    assert entry.question_en in text and first_line(entry.answer_en) in text
    assert entry.question not in text and first_line(entry.answer) not in text
    assert NOTES["English"] not in text and "Was this answer helpful?" in text


def test_a_resident_who_chose_easy_japanese_gets_the_easy_answer(app, user):
    entry = stored(app)
    user.says("やさしい日本語")
    text = visible(user.says(ASK))
    assert first_line(entry.answer_easy) in text and first_line(entry.answer) not in text
    assert NOTES["やさしい日本語"] not in text and "この こたえは やくに たちましたか" in text


def test_a_japanese_resident_still_gets_standard_japanese(app, user):
    entry = stored(app)
    text = visible(user.says(ASK))
    assert entry.question in text and first_line(entry.answer) in text
    assert first_line(entry.answer_en) not in text and first_line(entry.answer_easy) not in text


@pytest.mark.parametrize(("language", "field"), [("English", "answer_en"), ("やさしい日本語", "answer_easy")])
def test_a_missing_translation_falls_back_to_japanese_with_a_note(app, user, language, field):
    staff_publish(app, **{field: ""})
    user.says(language)
    text = opens_faq(user)
    assert NOTES[language] in text and first_line(stored(app).answer) in text


def test_an_english_card_without_an_english_question_is_titled_in_japanese(app, user):
    staff_publish(app, question_en="")
    user.says("English")
    text = opens_faq(user)
    assert stored(app).question in text and first_line(stored(app).answer_en) in text


@pytest.mark.parametrize("language", ["日本語", "やさしい日本語", "English"])
def test_centre_placeholders_are_filled_in_every_register(app, user, language):
    staff_publish(
        app,
        answer="電話は{{centre.phone}}です。",
        answer_easy="でんわは {{ centre.phone }} です。",
        answer_en="Call us at {{centre.phone}}.",
    )
    user.says(language)
    text = opens_faq(user)
    assert app.extensions["madoguchi"].context.profile.phone in text and "{{" not in text
