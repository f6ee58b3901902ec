"""Through the LINE emulator (LINE's spec and limits enforced): a volunteer path's result uses every answer it
asked for, and an answer the resident rates 「役に立たなかった」 or asks again reaches staff's unanswered inbox."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import create_app
from knowledge.models import UnansweredQuestion
from tests.emulator.test_emulator_paths import Resident
from tests.support.live_server import LiveServer, emulator_config


@pytest.fixture
def server(db_url):
    """The bot with the emulator on a free port (real time: the transcript's clock and the bot's agree)."""

    def build(base: str):
        return create_app({**emulator_config(base, db_url), "EMULATOR_REPLY_WAIT": 2, "SEND_ASYNC": False})

    with LiveServer.for_app_factory(build) as live:
        yield live
        live.app.extensions["madoguchi"].sender.shutdown()
        live.app.extensions["madoguchi"].engine.dispose()


def inbox(server) -> list[UnansweredQuestion]:
    with server.app.extensions["madoguchi"].session_factory() as session:
        return list(session.scalars(select(UnansweredQuestion).order_by(UnansweredQuestion.id)))


def test_a_volunteers_ward_interest_and_days_all_shape_the_result_through_the_emulator(server):
    resident = Resident(server.url)
    resident.follows()
    resident.taps("ボランティアを始めたい")
    resident.taps("自分が参加したい")
    resident.says("港北区です")
    resident.taps("高齢者・福祉")
    answer = resident.taps("平日")
    assert "自分が参加したい、港北区、高齢者・福祉に関心、平日希望 ということで" in answer
    assert "港北区の区民活動支援センターはどこですか？" in answer
    assert "区の社会福祉協議会（社協）が地域の福祉活動を支えています" in answer
    assert "無料のボランタリー活動相談で平日に活動できることを伝える" in answer
    assert resident.violations() == []


def test_a_not_helpful_tap_and_a_rephrase_reach_the_inbox_through_the_emulator(server):
    resident = Resident(server.url)
    resident.follows()
    assert "理事3人以上" in resident.says("NPO法人の理事って何人以上いればいいですか")
    resident.taps("役に立たなかった")
    resident.says("センターに駐車場はありますか")
    resident.says("そうじゃなくて、車で行けるかを知りたいです")
    rows = [(q.reason, q.text, q.answer_register) for q in inbox(server) if q.answer_faq_id]
    assert rows == [
        ("unhelpful", "NPO法人の理事って何人以上いればいいですか", "ja"),
        ("rephrased", "センターに駐車場はありますか", "ja"),
    ]
    assert resident.violations() == []
