"""What residents actually type: answers first, crisis in every wording we know of, small talk, and the traps."""

from __future__ import annotations

import pytest

from tests.support.conversation import freeze_clock, quick_labels, spec_errors
from tests.support.driver import WebhookUser, actions, visible


@pytest.fixture
def user(app, post_events):
    freeze_clock(app)
    return WebhookUser(app, post_events)


@pytest.mark.parametrize(
    ("message", "fact"),
    [
        ("センターの住所を教えてください", "本町6丁目50-10"),
        ("NPO法人って税金かかるんですか", "収益事業"),
        ("npo法人 理事 何人", "理事3人以上"),
        ("ボランティア保険はどこで入れますか", "社会福祉協議会"),
        ("事業報告書はいつまでに出せばいいですか", "3か月以内"),
        ("えぬぴーおー ほうじん の りじ は なんにん ひつよう ですか", "理事3人以上"),  # hiragana only
        ("ぼらんてぃあ ほけん は どこ で はいれますか", "社会福祉協議会"),
    ],
)
def test_a_specific_question_is_answered_in_the_first_reply(user, message, fact):
    text = visible(user.says(message))
    assert fact in text and "役に立ちましたか" in text


@pytest.mark.parametrize(
    ("message", "number"),
    [
        ("いま夫が包丁持って暴れてる", "110"),
        ("Someone is hitting me right now, please help", "110"),
        ("ごはん もらえない。おやに たたかれる", "189"),
        ("おっと が わたし を たたきます。こわい", "#8008"),
        ("町内会長を押し付けられて毎晩眠れない。いっそ電車に飛び込めば楽になるのかな", "0120-279-338"),
        ("I don't want to be alive anymore", "0120-279-338"),
    ],
)
def test_danger_and_despair_in_any_wording_get_crisis_lines_at_once(user, message, number):
    text = visible(user.says(message))
    assert number in text


def test_a_threat_happening_now_puts_the_police_first(user):
    text = visible(user.says("知らない男が包丁を持って家の前にいる"))
    assert text.index("110") < text.index("0120-279-338")


@pytest.mark.parametrize("message", ["衆議院の解散のニュース見た？", "ツアーは現地解散ですか", "死ぬほど暑い"])
def test_words_that_only_look_like_a_crisis_are_not_one(user, message):
    assert "0570-783-556" not in visible(user.says(message))  # いのちの電話: only for real despair


def test_a_crisis_written_in_japanese_after_english_is_answered_in_japanese(user):
    user.says("Hello, where is the centre?")
    text = visible(user.says("もう生きていたくない"))
    assert "0120-279-338" in text and "Thank you for telling us" not in text


def test_someone_asked_by_staff_is_not_asking_for_staff(user):
    text = visible(user.says("スタッフさんにNPOの会計を手伝ってと頼まれました。何から始めればいい？"))
    assert "担当者におつなぎします" not in text and "NPO法人の会計" in text  # the accounting entry, offered or answered


def test_a_question_about_what_an_npo_is_is_answered_not_handed_to_a_person(user):
    text = visible(user.says("NPO法人とはなんですか?"))  # 法人とはなん holds 人とはな, as in 「人とはなしたい」
    assert "担当者におつなぎします" not in text and "特定非営利活動法人" in text


def test_whoever_in_a_question_is_not_shouting(user):
    assert "0120-279-338" not in visible(user.says("夫に反対されています。どなたかアドバイスを"))


@pytest.mark.parametrize("message", ["株式会社の解散登記の費用", "合同会社の設立費用っていくら？"])
def test_a_question_about_a_company_gets_the_referral_not_an_npo_card(user, message):
    """「株式会社の解散登記」 reads close to the NPO registration entries, which do not answer it; the referral does."""
    text = visible(user.says(message))
    assert "法務局" in text and "所轄庁" not in text


@pytest.mark.parametrize(
    "message",
    [
        "中央図書館の開館時間おしえて",
        "赤レンガ倉庫って何時まで？",
        "今日の花火大会って何時から？🎆",
        "区役所は土曜日も開いておりますか",
        "What time does the Yokohama Central Library close today?",
    ],
)
def test_another_place_s_hours_are_not_answered_with_the_centre_s(user, message):
    assert "役に立ちましたか" not in visible(user.says(message))


def test_another_place_named_after_the_question_leaves_it_the_centre_s(user):
    text = visible(user.says("土曜日って何時までやってますか？区役所は土曜お休みなので…"))
    assert "役に立ちましたか" in text


@pytest.mark.parametrize(
    "message",
    ["こんにちは。市内の小学校で教員をしている者です。", "いつもお世話になっております。港北区の山田と申します"],
)
def test_a_greeting_with_who_is_writing_is_greeted_not_answered(user, message):
    text = visible(user.says(message))
    assert "役に立ちましたか" not in text and "わかりません" not in text


def test_a_greeting_with_a_wish_is_the_wish(user):
    reply = user.says("こんにちは。にほんご すこし わかります。ボランティア したい です")
    assert "ボランティアに参加できます" in visible(reply)  # the card for foreign residents who want to volunteer


def test_a_place_named_in_a_wish_to_help_keeps_the_wish(user):
    text = visible(user.says("図書館で読み聞かせのボランティアがしたいです。どこで探せますか"))
    assert "役に立ちましたか" in text and "お答えできません" not in text


def test_a_card_of_another_topic_than_the_wish_is_offered_not_answered(user):
    """A wish to help at a 防災訓練 reads closest to the entry on 防災 as a theme for 協働 (partnering), below the
    cut-off learned for such disagreements: もしかして, not a confident partnering card."""
    reply = user.says("防災訓練のお手伝いを町内会から頼まれました。これもボランティア？")
    assert "もしかして" in reply[0]["altText"] and "役に立ちましたか" not in visible(reply)


SMALL_TALK = ["お世話になっております", "了解です", "おやすみなさい", "ありがとうございました！", "👍", "Thanks"]


@pytest.mark.parametrize("message", SMALL_TALK)
def test_small_talk_gets_a_short_reply_never_i_dont_know(user, message):
    text = visible(user.says(message))
    assert "わかりません" not in text and "お答えできません" not in text


def test_an_open_wish_opens_the_path_and_a_question_gets_the_answer_with_the_path_one_tap_away(user):
    assert "どなたの活動" in visible(user.says("ぼらんてぃあ始めたい"))
    text = visible(user.says("ボランティア保険はどこで入れますか"))
    assert "社会福祉協議会" in text and "ボランティアを始めたい" in quick_labels(user.last)


def test_did_you_mean_lists_the_full_questions_and_a_tap_answers(user):
    reply = user.says("センターの部屋って何人まで使える？")  # three spaces of the centre answer it in part
    assert reply[0]["type"] == "flex" and "もしかして" in reply[0]["altText"]
    assert spec_errors(reply) == []
    rows = [a for a in actions(reply) if a["type"] == "postback" and "a=faq" in a["data"]]
    full = [a["displayText"] for a in rows]
    assert "協働ラボは何人で、何時間まで使えますか？" in full  # in full, not cut at a chip's 20 characters
    assert quick_labels(reply) == ["相談員と話したい", "最初に戻る"]  # chips stay for navigation only
    answer = visible(user.tap(rows[full.index("協働ラボは何人で、何時間まで使えますか？")]))
    assert "役に立ちましたか" in answer and "協働ラボの打合せ利用" in answer


@pytest.mark.parametrize(
    "message",
    [
        "ひと と はなしたい",
        "折り返し電話ください",
        "担当者さんから電話もらえますか",
        "I'd prefer to speak with a staff member",
        "協働コーディネーターの方とお話ししたいのですが",
    ],
)
def test_asking_for_a_person_in_everyday_words_is_handed_to_a_coordinator(user, message):
    text = visible(user.says(message))
    assert "担当者におつなぎします" in text or "connecting you with a coordinator" in text


@pytest.mark.parametrize(
    "message",
    ["アイドルグループの解散理由を知りたい", "部活の解散時間って何時が普通？", "荷物を預けられるロッカーある？"],
)
def test_a_topic_or_crisis_word_used_of_something_else_is_neither(user, message):
    text = visible(user.says(message))
    assert "0120-279-338" not in text and "いまはどの段階ですか" not in text


@pytest.mark.parametrize(
    ("message", "number"),
    [
        ("学習支援に来てる中学生が、家に帰ると殴られるって打ち明けてくれた", "189"),
        ("おっとに けられました", "#8008"),
        ("知らない人に後をつけられている気がして怖い", "110"),
    ],
)
def test_a_crisis_about_a_child_a_partner_or_a_stalker_lists_the_fitting_line(user, message, number):
    assert number in visible(user.says(message))


def test_a_question_about_booking_is_answered_and_a_wish_to_book_starts_booking(user):
    text = visible(user.says("予約ってLINEからできるの？電話じゃないとだめ？"))
    assert "このLINEから予約できます" in text and "役に立ちましたか" in text
    text = visible(user.says("来週の木曜あたり、ボランタリー活動相談の枠あいてますか"))
    assert "役に立ちましたか" not in text and "相談の種類を変える" in text  # a date named: booking, not the how-to


def test_peers_to_talk_with_is_a_referral_not_a_hand_off(user):
    text = visible(user.says("ひとり親で仕事と家事で手いっぱい。同じ立場の人と話せる場ってありますか"))
    assert "担当者におつなぎします" not in text and "りんご会" in text
