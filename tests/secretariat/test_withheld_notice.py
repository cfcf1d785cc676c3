"""Questions whose choices name a local fact the network has not set are withheld (not served, not
scored); the network's home lists them with the missing facts, and the 地域の窓口 page marks the
facts questions use. The rule itself (trainer.quizzes.withheld) is tested here on the same banks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import RequestPerContextClient, sign_in
from tests.content.helpers import COURSE_YAML, write_course
from trainer.accounts.models import Role
from trainer.courses.loading import load_courses
from trainer.extensions import db
from trainer.quizzes.models import QuizBank, QuizQuestion
from trainer.quizzes.withheld import withheld_keys, withheld_questions
from trainer.secretariat.local_facts_notice import facts_questions_use, withheld_in

FORM_A = """\
title: 確認テスト A
questions:
  - id: centre-address
    type: single
    topic: consumer-centre
    text: "{{ consumer_centre_name }}の所在地は、次のうちどれですか。"
    choices:
      - text: "{{ police_address }}"
      - text: "{{ consumer_centre_address }}"
        correct: true
      - text: わからない
    explanation: "{{ consumer_centre_name }}は {{ consumer_centre_address }} にあります。"
  - id: stem-only
    type: single
    topic: hotline-188
    text: "{{ consumer_centre_name }}に相談したいとき、全国共通の番号はどれですか。"
    choices:
      - text: "188"
        correct: true
      - text: "110"
      - text: わからない
    explanation: "188で {{ consumer_centre_name }} などにつながります。"
  - id: centre-phone
    type: single
    topic: hotline-188
    text: 消費生活センターにつながる番号はどれですか。
    choices:
      - text: "188"
        correct: true
      - text: "119"
      - text: わからない
    explanation: 188は近くの窓口につながります。
    variants:
      - text: 事務所に貼っておく、消費生活センターの番号はどれですか。
        choices:
          - text: "{{ consumer_centre_phone }}"
            correct: true
          - text: "{{ police_phone }}"
          - text: わからない
        explanation: "消費生活センターの番号は {{ consumer_centre_phone }} です。"
"""

FORM_B = """\
title: 確認テスト B
questions:
  - id: who-helps
    type: truefalse
    topic: connect
    text: 次の相談先は、高齢者の暮らしの相談にのりますか。
    cases:
      - text: "{{ community_support_name }}"
        answer: はい
      - text: 近所の家電量販店
        answer: いいえ
    explanation: "{{ community_support_name }}は高齢者の総合相談の窓口です。"
"""

ALL_SET = {
    "consumer_centre_name": "みどり市消費生活センター",
    "consumer_centre_address": "みどり市中央1-2-3",
    "consumer_centre_phone": "0000-11-2222",
    "police_phone": "0000-22-3333",
    "police_address": "みどり市本町4-5",
    "community_support_name": "みどり市中央地域包括支援センター",
}
NOTICE = "地域の窓口が未設定のため、次の問題を出題していません（採点にも含まれません）"
USED = "テストの問題で使われています"


@pytest.fixture
def banks(app, tmp_path: Path) -> list[QuizBank]:
    courses, quizzes = tmp_path / "courses", tmp_path / "quizzes"
    quizzes.mkdir()
    (quizzes / "form-a.yaml").write_text(FORM_A, encoding="utf-8")
    (quizzes / "form-b.yaml").write_text(FORM_B, encoding="utf-8")
    write_course(courses, course_yaml=COURSE_YAML + "pre_quiz: form-a\npost_quiz: form-b\n")
    load_courses(db.session, courses, quizzes)
    return list(db.session.scalars(select(QuizBank).order_by(QuizBank.slug)))


def rows_of(bank: QuizBank) -> list[QuizQuestion]:
    ids = list(bank.question_ids) + [i for v in bank.variant_ids.values() for i in v]
    return list(db.session.scalars(select(QuizQuestion).where(QuizQuestion.id.in_(ids))))


# --- the rule ---------------------------------------------------------------------------------


def test_a_question_is_withheld_when_its_choices_or_a_variants_choices_need_an_unset_fact(banks):
    form_a, form_b = banks
    assert withheld_keys(rows_of(form_a), {}) == {"centre-address", "centre-phone"}
    assert withheld_keys(rows_of(form_b), {}) == {"who-helps"}  # a case is an option too
    # One of the two facts of the first question is not enough; the stem's fact never counts.
    partly = {"consumer_centre_address": "みどり市中央1-2-3", "consumer_centre_phone": "0000"}
    assert withheld_keys(rows_of(form_a), partly) == {"centre-address", "centre-phone"}
    assert withheld_keys(rows_of(form_a), ALL_SET) == set()
    assert withheld_keys(rows_of(form_a), {**ALL_SET, "police_phone": "  "}) == {"centre-phone"}


def test_withheld_questions_name_the_bank_the_main_text_and_only_the_missing_facts(banks):
    facts = {"consumer_centre_address": "みどり市中央1-2-3"}
    found = withheld_questions(db.session, banks, facts)
    assert [(q.bank_title, q.key) for q in found] == [
        ("確認テスト A", "centre-address"),
        ("確認テスト A", "centre-phone"),
        ("確認テスト B", "who-helps"),
    ]
    address, phone, _ = found
    assert address.missing_labels == "警察署の所在地"  # the set address is not missing
    assert phone.text == "消費生活センターにつながる番号はどれですか。"  # the main version's
    assert phone.missing_labels == "消費生活センターの電話番号・警察署の電話番号"
    assert withheld_questions(db.session, banks, ALL_SET) == []


def test_facts_questions_use_are_those_in_options_of_any_variant(banks):
    assert facts_questions_use(db.session) == {
        "police_address",
        "consumer_centre_address",
        "consumer_centre_phone",
        "police_phone",
        "community_support_name",
    }  # consumer_centre_name is only in stems and explanations


# --- what the staff see -----------------------------------------------------------------------


def notice_of(html: str) -> str:
    match = re.search(r'<section class="flash flash-error withheld".*?</section>', html, re.S)
    return match.group(0) if match else ""


def test_the_home_lists_withheld_questions_and_missing_facts_until_they_are_set(
    banks, make_app, make_network, make_user
):
    network = make_network()
    user = make_user(network, Role.SECRETARIAT)
    protected = make_app(WTF_CSRF_ENABLED=True)  # a real form post, with the page's token
    protected.test_client_class = RequestPerContextClient
    client = protected.test_client()
    sign_in(client, user)

    notice = notice_of(client.get(f"/n/{network.id}/").get_data(as_text=True))
    assert NOTICE in notice
    assert "確認テスト A" in notice and "確認テスト B" in notice
    # The stem as learners read it: an unset fact in it reads as its neutral wording.
    assert "お住まいの市区町村の消費生活センターの所在地は" in notice
    assert "消費生活センターの所在地・警察署の所在地" in notice  # the settings page's order
    assert "消費生活センターの電話番号・警察署の電話番号" in notice
    assert "地域包括支援センターの名称" in notice
    assert "全国共通の番号" not in notice  # a fact in the stem only: served as usual
    assert f'href="/n/{network.id}/settings/"' in notice

    page = client.get(f"/n/{network.id}/settings/").get_data(as_text=True)
    assert page.count(USED) == 1 + 5  # the explanation, and the five facts offered as options
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(f"/n/{network.id}/settings/", data={"csrf_token": token, **ALL_SET})
    assert response.status_code == 302

    html = client.get(f"/n/{network.id}/").get_data(as_text=True)
    assert notice_of(html) == "" and "出題していない問題" not in html
    assert withheld_in(db.session, network) == []


def test_only_the_networks_staff_see_it_and_a_trainer_is_sent_to_the_secretariat(
    banks, client, make_network, make_user
):
    network, other = make_network(), make_network()
    for key, value in ALL_SET.items():
        setattr(other, key, value)
    db.session.commit()
    sign_in(client, make_user(other, Role.SECRETARIAT))
    assert client.get(f"/n/{network.id}/").status_code == 404
    assert notice_of(client.get(f"/n/{other.id}/").get_data(as_text=True)) == ""  # all set

    sign_in(client, make_user(network, Role.TRAINER))
    notice = notice_of(client.get(f"/n/{network.id}/").get_data(as_text=True))
    assert NOTICE in notice and "事務局に設定を依頼してください" in notice
    assert "/settings/" not in notice  # a page the trainer may not open


def test_nothing_is_shown_when_no_question_depends_on_a_fact(app, client, make_network, make_user):
    network = make_network()
    sign_in(client, make_user(network, Role.SECRETARIAT))
    html = client.get(f"/n/{network.id}/").get_data(as_text=True)
    assert "出題していない問題" not in html
    assert USED not in client.get(f"/n/{network.id}/settings/").get_data(as_text=True)
