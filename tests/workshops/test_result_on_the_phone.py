"""What a participant's phone shows after the post-test: the score in whole questions
(「13問中 9問正解」) with one sentence for the partly right ones, and from アンケート on each
question's right answer and explanation: open for someone who failed (the newcomer review's
L12), folded away for someone who passed. Not during 事後テスト, while the room still answers."""

from __future__ import annotations

import re

from tests.workshops.helpers import join, move_to, open_attempt_id, page_form, phone
from trainer.content.question_types import question_type
from trainer.extensions import db
from trainer.quizzes.models import Attempt, QuizQuestion


def me(client, room) -> str:
    return client.get(f"/join/{room.code}/me").get_data(as_text=True)


def scored(attempt: Attempt) -> int:
    rows = [db.session.get_one(QuizQuestion, q) for q in attempt.question_ids]
    return sum(1 for r in rows if question_type(r.type).scored)


def submit_post(client, room, *, right: bool, partly: bool = False) -> Attempt:
    """The post-test, all right or all wrong; `partly`: one 〇× question's first case right."""
    attempt_id = open_attempt_id(client, room)
    assert attempt_id
    data = page_form(attempt_id, right=right)
    if partly:
        attempt = db.session.get_one(Attempt, attempt_id)
        rows = [db.session.get_one(QuizQuestion, q) for q in attempt.question_ids]
        row = next(r for r in rows if r.type == "truefalse")
        case = row.body["cases"][0]
        data[f"q{row.id}-case-{case['key']}"] = "yes" if case["answer"] else "no"
    data["action"] = "submit"
    assert client.post(f"/join/{room.code}/answers/post", data=data).status_code == 302
    return db.session.get_one(Attempt, attempt_id)


def test_a_failed_participant_reads_the_explanations_once_the_test_is_over(
    app, client, login, room
):
    login(client, room.trainer)
    failer, passer = phone(app), phone(app)
    join(failer, room, org=room.orgs[0], name="見守 花子1")
    join(passer, room, org=room.orgs[0], name="見守 花子2")
    move_to(client, room, "post")
    failed = submit_post(failer, room, right=False, partly=True)
    assert failed.passed is False
    page = me(failer, room)
    # Whole questions, and the one partly right question in one sentence.
    n = scored(failed)  # every question of the bank: the room's network has every local fact
    assert n == 15
    assert f"事後テスト：{n}問中 0問正解（合格は80%以上）" in page
    assert "一部だけ正しかった1問は、正しかった部分の割合だけ正答率（%）に入っています。" in page
    assert "点（合格は" not in page
    # The room is still answering: no right answers on this phone yet.
    assert (
        "問題ごとの正解と解説は、事後テストの時間が終わると（アンケートのときに）この画面に出ます。"
    ) in page
    assert "解説" not in page.replace("正解と解説は", "")
    assert "（正解）" not in page and "正解「" not in page

    passed = submit_post(passer, room, right=True)
    assert passed.passed is True
    page = me(passer, room)
    assert f"事後テスト：{n}問中 {n}問正解（合格は80%以上）" in page
    assert "一部だけ正しかった" not in page and "問題と解説" not in page

    move_to(client, room, "survey")
    page = me(failer, room)
    assert '<a class="button" href="#explanations">問題と解説を読む</a>' in page
    section = page[page.index('<section class="explanations"') :]
    assert '<h2 id="explanations-title">事後テストの問題と解説</h2>' in section
    # After the survey's form: the survey is what the room does now.
    assert page.index("研修の感想をお聞かせください") < page.index('id="explanations"')
    assert section.count('class="admonition-title">解説</p>') == n
    assert len(re.findall(r'<span class="badge ended">不正解</span>', section)) == n - 1
    assert len(re.findall(r'<span class="badge ended">一部正解</span>', section)) == 1
    assert "（正解）" in section and "← あなたの答え" in section
    assert "正解「" in section and "あなた「" in section  # the 〇× questions, case by case

    page = me(passer, room)
    assert '<details class="not-me explanations" id="explanations">' in page
    assert "<summary>事後テストの問題と解説を見る</summary>" in page
    assert page.count('<span class="badge active">正解</span>') == n
    assert "問題と解説を読む" not in page  # no button: they passed

    move_to(client, room, "closed")
    page = me(failer, room)
    assert "研修会は終了しました" in page
    assert page.index("今回は合格点に届きませんでした") < page.index('id="explanations"')
    assert page.count('class="admonition-title">解説</p>') == n
