"""Opting in and out of notices in the chat, through the LINE emulator, as a resident taps and types."""

from __future__ import annotations

from bot.line.messages import visible_text
from bot.notices.models import TOPICS
from bot.platform.db import unit_of_work, utcnow
from bot.privacy.export import export_resident
from bot.privacy.forget import forget_resident
from tests.notices.conftest import opt_in
from tests.support.conversation import quick_labels


def last_text(resident) -> str:
    return "\n".join(visible_text(m) for m in resident.last)


def test_a_resident_opts_in_from_the_menu_choosing_topics_and_a_ward(live):
    resident = live.resident()
    resident.says("メニュー")
    assert "お知らせを受け取る" in quick_labels(resident.last)
    resident.taps("お知らせを受け取る")
    assert "セミナー" in last_text(resident) and "無料" in last_text(resident)
    resident.taps("ボランティア")
    resident.taps("助成金・資金")
    labels = quick_labels(resident.last)
    assert "✓ ボランティア" in labels and "✓ 助成金・資金" in labels and "団体の設立・運営" in labels
    resident.taps("✓ ボランティア")  # a second tap takes it back
    assert "ボランティア" in quick_labels(resident.last)
    assert live.subscription(resident) is None  # nothing is stored before 決定 and a ward
    resident.taps("決定")
    assert "区" in last_text(resident) and "区は選ばない" in quick_labels(resident.last)
    assert len(quick_labels(resident.last)) <= 13
    resident.taps("ほかの区")
    resident.taps("瀬谷区")
    assert "テーマ：助成金・資金" in last_text(resident) and "区：瀬谷区" in last_text(resident)
    assert "「配信停止」" in last_text(resident)
    sub = live.subscription(resident)
    assert sub.topics == ["funding"] and sub.ward == "seya" and sub.active
    assert sub.consented_at is not None and abs((utcnow() - sub.consented_at).total_seconds()) < 60
    assert [h["action"] for h in sub.history] == ["opt_in"]


def test_nothing_is_chosen_until_a_topic_is(live):
    resident = live.resident()
    resident.says("お知らせ")
    resident.taps("決定")
    assert "ひとつ以上" in last_text(resident)
    assert live.subscription(resident) is None


def test_typing_配信停止_stops_every_notice_and_the_settings_show_the_current_choice(live):
    resident = live.resident()
    opt_in(resident, "団体の設立・運営", ward="中区")
    resident.says("お知らせ")
    assert "いまの設定：団体の設立・運営（区：中区）" in last_text(resident)
    assert "✓ 団体の設立・運営" in quick_labels(resident.last) and "配信停止" in quick_labels(resident.last)
    resident.says("配信停止")
    assert "止めました" in last_text(resident)
    sub = live.subscription(resident)
    assert not sub.active and sub.stopped_at is not None and sub.topics == []
    assert [h["action"] for h in sub.history] == ["opt_in", "stop"]
    resident.says("お知らせ停止")
    assert "登録されていない" in last_text(resident)


def test_stop_in_english_and_the_stop_chip_work_too(live):
    resident = live.resident()
    opt_in(resident, "解散・継続")
    resident.says("STOP")
    assert not live.subscription(resident).active
    opt_in(resident, "協働・連携")
    assert live.subscription(resident).active
    resident.says("お知らせ")
    resident.taps("配信停止")
    assert not live.subscription(resident).active
    assert [h["action"] for h in live.subscription(resident).history] == ["opt_in", "stop", "opt_in", "stop"]


def test_an_english_speaking_resident_is_asked_in_english(live):
    resident = live.resident()
    resident.says("English")
    resident.says("menu")
    resident.taps("Get notices")
    assert "Notices are written in Japanese" in last_text(resident)
    resident.taps("Volunteering")
    resident.taps("Done")
    resident.taps("No ward")
    assert "Topics: Volunteering" in last_text(resident) and "Ward: none" in last_text(resident)
    assert live.subscription(resident).topics == ["volunteer"]


def test_after_a_helpful_answer_notices_are_offered_once_with_its_topic_chosen(live):
    resident = live.resident()
    resident.says("NPO法人を設立するにはどんな書類が必要ですか")
    resident.taps("役に立った")
    assert "お知らせ" in last_text(resident) and "いつでも停止" in last_text(resident)
    resident.taps("お知らせを受け取る")
    chosen = [label for label in quick_labels(resident.last) if label.startswith("✓")]
    assert len(chosen) == 1, quick_labels(resident.last)
    resident.taps("最初に戻る")
    resident.says("NPO法人を設立するにはどんな書類が必要ですか")
    resident.taps("役に立った")
    assert "お知らせ" not in last_text(resident)  # offered once; never pressed on anyone
    sub = live.subscription(resident)  # the offer is remembered; nothing is chosen, so nothing is sent
    assert not sub.active and [h["action"] for h in sub.history] == ["offered"]


def test_the_consent_is_in_the_residents_export_and_erased_with_them(live):
    resident = live.resident()
    opt_in(resident, *["ボランティア", "団体の設立・運営"], ward="鶴見区")
    with unit_of_work(live.svc.session_factory) as s:
        data = export_resident(s, resident.user, utcnow())
    notices = data["notices"]
    assert notices["topics"] == ["volunteer", "founding"] and notices["ward"] == "tsurumi"
    assert notices["consented_at"] and notices["history"][0]["action"] == "opt_in"
    with unit_of_work(live.svc.session_factory) as s:
        from bot.booking.settings import booking_settings

        forget_resident(s, resident.user, utcnow(), booking_settings(s))
    assert live.subscription(resident) is None


def test_every_topic_has_a_chip(live):
    resident = live.resident()
    resident.says("お知らせ")
    assert len([label for label in quick_labels(resident.last) if label != "決定"]) >= len(TOPICS)


def test_配信停止_works_even_while_waiting_for_a_coordinator(live):
    resident = live.resident()
    opt_in(resident, "ボランティア")
    resident.says("相談員と話したい")
    resident.says("配信停止")
    assert "止めました" in last_text(resident)
    assert not live.subscription(resident).active
