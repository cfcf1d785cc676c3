"""A course states when its content was last checked against the law (内容の確認日) and against
what (法令の出典): on the learner's course page and on the staff's list of courses."""

from __future__ import annotations

import pytest

from tests.content.helpers import COURSE_YAML, write_course
from trainer.accounts.models import Role
from trainer.courses.loading import load_courses
from trainer.extensions import db

REVIEWED = COURSE_YAML + (
    "reviewed_on: 2026-11-30\n"
    "sources:\n  - 特定商取引法（e-Gov法令検索）\n  - 消費者契約法 <第4条>\n"
)


def load(tmp_path, course_yaml):
    write_course(tmp_path / "courses", course_yaml=course_yaml)
    load_courses(db.session, tmp_path / "courses", None)


@pytest.fixture
def network(make_network):
    return make_network(name="みどり市見守りネットワーク")


def learner_page(client, network, make_member):
    member = make_member(network, name="佐藤 恵子")
    client.get(f"/m/{member.link_token}")
    return client.get("/learn/test-course").get_data(as_text=True)


def test_the_learner_sees_the_review_date_and_the_sources(
    app, client, network, make_member, tmp_path
):
    load(tmp_path, REVIEWED)
    html = learner_page(client, network, make_member)
    assert "内容の確認日：2026年11月30日" in html and "法令の出典を見る" in html
    assert "<li>特定商取引法（e-Gov法令検索）</li>" in html
    assert "<li>消費者契約法 &lt;第4条&gt;</li>" in html  # text, never markup


def test_staff_see_it_on_the_list_of_courses(app, client, network, make_user, login, tmp_path):
    load(tmp_path, REVIEWED)
    login(client, make_user(network, Role.TRAINER))
    html = client.get(f"/n/{network.id}/courses/").get_data(as_text=True)
    assert (
        "内容の確認日：2026年11月30日" in html and "<li>特定商取引法（e-Gov法令検索）</li>" in html
    )


def test_a_date_without_sources_is_shown_without_the_list(
    app, client, network, make_member, tmp_path
):
    load(tmp_path, COURSE_YAML + "reviewed_on: 2026-11-30\n")
    html = learner_page(client, network, make_member)
    assert "内容の確認日：2026年11月30日" in html and "法令の出典" not in html


def test_a_course_without_a_review_date_shows_nothing(app, client, network, make_member, tmp_path):
    load(tmp_path, COURSE_YAML)
    html = learner_page(client, network, make_member)
    assert "内容の確認日" not in html and "法令の出典" not in html
