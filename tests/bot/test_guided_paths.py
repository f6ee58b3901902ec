"""The four guided paths end to end through the webhook: tapping only what the bot sends, or typing everything."""

from __future__ import annotations

import pytest

from tests.support.conversation import conversation_row, freeze_clock, quick_labels, shows_main_menu, spec_errors, walk
from tests.support.driver import WebhookUser, actions, visible


@pytest.fixture
def clock(app):
    return freeze_clock(app)


@pytest.fixture
def user(app, post_events, clock):
    return WebhookUser(app, post_events)


def type_all(user: WebhookUser, *texts: str) -> str:
    """Send each text in turn; every reply must be valid for LINE."""
    for text in texts:
        messages = user.says(text)
        assert messages and spec_errors(messages) == [], (text, spec_errors(messages))
    return visible(user.last)


def ends_with_a_way_forward(user: WebhookUser) -> None:
    """An answer ends with 「役に立ちましたか」, its chips, a person and the menu."""
    text = visible(user.last)
    labels = quick_labels(user.last)
    assert "役に立ちましたか" in text
    assert {"役に立った", "役に立たなかった", "最初に戻る"} <= set(labels), labels
    assert "相談員と話したい" in user.labels()


def test_a_resident_who_taps_through_volunteering_is_sent_to_the_welfare_council(user):
    user.follows()
    assert "どなたの活動" in walk(user, "ボランティアを始めたい")
    assert "どの地域" in walk(user, "自分が参加したい")
    assert "関心のある分野" in walk(user, "家の近く")
    assert "いつごろ" in walk(user, "高齢者・福祉")
    text = walk(user, "平日")
    assert "自分が参加したい、家の近く、高齢者・福祉に関心、平日希望 ということで" in text
    assert "社会福祉協議会（社協）では何をしていますか？" in text
    ends_with_a_way_forward(user)
    assert "この相談を予約" in user.labels()


def test_a_resident_who_types_every_volunteering_answer_gets_their_wards_centre(user):
    assert "どなたの活動" in type_all(user, "ボランティアをしたいです")
    assert "どの地域" in type_all(user, "自分です")
    assert "関心のある分野" in type_all(user, "港北区に住んでいます")
    assert "いつごろ" in type_all(user, "子どもに関わることがしたい")
    text = type_all(user, "土日なら大丈夫です")
    assert "港北区の区民活動支援センターはどこですか？" in text and "045-540-2246" in text
    assert "自分が参加したい、港北区、子ども・子育てに関心、土日・祝日希望 ということで" in text
    ends_with_a_way_forward(user)
    assert "相談員に相談する" in user.labels()  # a coordinator for matching


def test_companies_are_offered_a_coordinator_without_questions_meant_for_individuals(user):
    user.follows()
    text = walk(user, "ボランティアを始めたい", "会社として")
    assert "会社や学校として、社員や学生のボランティア先を紹介してもらえますか？" in text
    assert "どの地域" not in text
    ends_with_a_way_forward(user)
    assert "相談員に相談する" in user.labels()


def test_a_group_that_asks_about_accounting_is_offered_the_professional_advisers_session(user):
    user.follows()
    assert "どの段階" in walk(user, "団体・NPOをつくる")
    assert "知りたいこと" in walk(user, "任意団体で活動中")
    text = walk(user, "会計・労務")
    assert "会計や労務のことを専門家に相談できますか？" in text
    ends_with_a_way_forward(user)
    user.taps("この相談を予約")
    assert "士業" in visible(user.last)  # the booking flow opens on the professional advisers' consultation


def test_someone_with_only_an_idea_who_types_gets_the_first_steps_not_the_legal_procedure(user):
    assert "どの段階" in type_all(user, "団体を作りたいです")
    assert "知りたいこと" in type_all(user, "まだアイデアの段階です")
    text = type_all(user, "設立の手順が知りたい")
    assert "NPOでやりたいことがあるけれど、何から始めればいいですか？" in text
    ends_with_a_way_forward(user)


def test_a_decided_npo_gets_the_dissolution_roadmap_and_the_themed_consultation(user):
    user.follows()
    assert "どの団体" in walk(user, "解散・継続の相談")
    assert "いまの状況" in walk(user, "NPO法人")
    text = walk(user, "解散を決めた")
    assert "NPO法人を解散する手続きの流れを教えてください。" in text
    ends_with_a_way_forward(user)
    user.taps("この相談を予約")
    assert "解散" in visible(user.last)


def test_a_hesitant_neighbourhood_association_that_types_hears_about_alternatives(user):
    text = type_all(user, "町内会を解散したい")
    assert "「町内会・自治会」ですね" in text and "いまの状況" in text  # the kind was in the first message
    text = type_all(user, "まだ迷ってます")
    assert "町内会を解散する以外に、方法はありますか？" in text
    ends_with_a_way_forward(user)
    assert "相談員に相談する" in user.labels()


def test_a_circle_that_is_still_deciding_gets_tips_for_deciding_together(user):
    user.follows()
    text = walk(user, "解散・継続の相談", "任意団体・サークル", "迷っている・検討中")
    assert "サークルの解散は、どうやって決めればいいですか？" in text
    ends_with_a_way_forward(user)


def test_partnering_with_the_city_explains_contract_forms(user):
    user.follows()
    assert "どなたとの協働" in walk(user, "協働・連携したい")
    assert "契約・事業の形" in walk(user, "行政（市・区）と")
    text = walk(user, "契約・事業の形")
    assert "協働事業の契約にはどんな形がありますか？" in text
    ends_with_a_way_forward(user)


def test_contract_forms_are_offered_only_for_partnering_with_the_city(user):
    user.follows()
    walk(user, "協働・連携したい", "企業と")
    assert "契約・事業の形" not in user.labels()
    assert "事業を提案したい" in user.labels()


def test_someone_who_types_that_they_want_to_work_with_a_school_is_pointed_to_school_partnerships(user):
    assert "どなたとの協働" in type_all(user, "協働したいです")
    assert "知りたいこと" in type_all(user, "学校と一緒に何かしたい")
    text = type_all(user, "相手を探したい")
    assert "学校と地域やNPOが協働することはできますか？" in text
    ends_with_a_way_forward(user)


def test_a_proposal_for_the_city_goes_to_the_citizen_proposal_scheme_with_a_coordinator(user):
    user.follows()
    text = walk(user, "協働・連携したい", "行政（市・区）と", "事業を提案したい")
    assert "市と一緒に事業をしたいとき、どんな制度がありますか？" in text
    assert "相談員に相談する" in user.labels()


def test_typing_a_menu_label_opens_that_path(user):
    assert "どなたとの協働" in type_all(user, "協働・連携したい")
    assert "どの段階" in type_all(user, "団体・NPOをつくる")


def test_an_earlier_button_changes_that_answer_and_the_later_questions_are_asked_again(user):
    user.follows()
    walk(user, "ボランティアを始めたい")
    who = {a["label"]: a for a in actions(user.last)}
    walk(user, "自分が参加したい", "家の近く")
    user.tap(who["学校として"])  # a stale chip from two messages ago
    assert "会社や学校として" in visible(user.last)


def test_a_button_from_a_finished_path_starts_that_path_again_from_there(user):
    user.follows()
    walk(user, "解散・継続の相談")
    kinds = {a["label"]: a for a in actions(user.last)}
    walk(user, "NPO法人", "解散を決めた")
    user.tap(kinds["町内会・自治会"])
    assert "いまの状況" in visible(user.last)
    assert "町内会を解散したいのですが" in walk(user, "解散を決めた")


def test_a_path_left_for_more_than_thirty_minutes_is_forgotten(app, user, clock):
    user.follows()
    walk(user, "ボランティアを始めたい")
    assert conversation_row(app, user.user_id).flow == "volunteer"
    clock.advance(minutes=31)
    text = type_all(user, "自分です")
    assert "どの地域" not in text
    assert conversation_row(app, user.user_id).flow is None


def test_a_path_is_kept_for_less_than_thirty_minutes_in_the_database(app, user, clock):
    user.follows()
    walk(user, "ボランティアを始めたい", "自分が参加したい")
    row = conversation_row(app, user.user_id)
    assert (row.flow, row.state, row.slots) == ("volunteer", "area", {"who": "self"})
    clock.advance(minutes=29)
    assert "関心のある分野" in type_all(user, "市内ならどこでも")


def test_after_an_answer_the_menu_is_one_tap_away(user):
    user.follows()
    walk(user, "協働・連携したい", "NPO・団体どうし", "協働の基本")
    user.taps("最初に戻る")
    assert shows_main_menu(user.last)


def test_a_student_who_wants_to_volunteer_is_not_sent_to_the_school_placement_answer(user):
    user.follows()
    walk(user, "ボランティアを始めたい")
    text = walk(user, "学生・生徒です")
    assert "学生でもボランティアはできますか" in text and "受け入れ先との調整" not in text


def test_a_wish_that_already_names_who_where_what_and_when_goes_straight_to_the_result(user):
    text = type_all(user, "自分で港北区の子どもの活動を土日にボランティアしたいです")
    assert "港北区の区民活動支援センターはどこですか？" in text
    assert "自分が参加したい、港北区、子ども・子育てに関心、土日・祝日希望 ということで" in text  # understood, said
    ends_with_a_way_forward(user)


def test_a_specific_question_gets_its_answer_with_the_path_one_tap_away(user):
    text = type_all(user, "NPO法人の理事って何人以上いればいいですか")
    assert "理事3人以上" in text and "いまはどの段階" not in text
    assert "団体・NPOをつくる" in quick_labels(user.last)  # the founding path, one tap away


def test_a_volunteer_in_a_ward_gets_their_interest_and_days_used_not_only_the_ward_centre(user):
    user.follows()
    walk(user, "ボランティアを始めたい", "自分が参加したい")
    assert "関心のある分野" in type_all(user, "鶴見区です")
    assert "いつごろ" in walk(user, "子ども・子育て")
    text = walk(user, "平日")
    assert "自分が参加したい、鶴見区、子ども・子育てに関心、平日希望 ということで" in text
    assert "鶴見区の区民活動支援センターはどこですか？" in text  # the ward still picks the card
    assert "子ども食堂・フードパントリー" in text  # the interest adds what the knowledge base says about it
    assert "曜日ごとの募集情報は、このLINEにはありません" in text and "平日に活動できることを伝える" in text
    labels = quick_labels(user.last)
    food = next(label for label in labels if label.startswith("子ども食堂やフードパントリー"))  # the interest's entry
    assert any(label.startswith("忙しくて時間があまりありません") for label in labels)  # the one the days chose
    ends_with_a_way_forward(user)
    assert "街カフェ大倉山ミエル" in visible(user.taps(food))


def test_an_interest_the_knowledge_base_knows_nothing_about_is_said_honestly(user):
    user.follows()
    walk(user, "ボランティアを始めたい", "自分が参加したい", "市内どこでも", "環境・まちづくり")
    text = walk(user, "土日・祝日")
    assert "環境・まちづくりに関心、土日・祝日希望" in text
    assert "環境・まちづくりの活動について、このLINEでご案内できる情報はまだありません" in text
    assert "土日・祝日に活動できることを伝える" in text
