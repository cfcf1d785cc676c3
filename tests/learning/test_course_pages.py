"""Learners read modules in order on their phones; staff preview them; local facts fill in."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.content.helpers import write_course
from trainer.accounts.models import Network, Role
from trainer.audit.models import AuditEvent
from trainer.courses.loading import load_courses
from trainer.extensions import db
from trainer.learning.models import ModuleRead


@pytest.fixture
def course(app, tmp_path):
    write_course(tmp_path / "courses")
    load_courses(db.session, tmp_path / "courses", None)
    return "test-course"


@pytest.fixture
def network(make_network):
    return make_network(name="みどり市見守りネットワーク")


@pytest.fixture
def learner(client, network, make_member, course):
    member = make_member(network, name="佐藤 恵子")
    client.get(f"/m/{member.link_token}")
    return member


def test_learner_home_lists_courses_with_progress(client, learner):
    html = client.get("/learn").get_data(as_text=True)
    assert "テスト研修" in html and "未受講" in html and "残り約7分" in html and "始める" in html


def test_reading_in_order_with_progress_and_position(client, learner):
    first = client.get("/learn/test-course/01-first").get_data(as_text=True)
    assert "はじめに" in first and "1 / 2" in first and "残り約7分" in first
    assert "次へ →" in first and "← 前へ" not in first
    response = client.post("/learn/test-course/01-first/read")
    assert response.headers["Location"] == "/learn/test-course/02-second"
    second = client.get("/learn/test-course/02-second").get_data(as_text=True)
    assert "2 / 2" in second and "残り約4分" in second and "← 前へ" in second
    assert "学習中 1/2" in client.get("/learn").get_data(as_text=True)
    done = client.post("/learn/test-course/02-second/read")
    assert done.headers["Location"] == "/learn/test-course?finished=1"
    outline = client.get("/learn/test-course?finished=1").get_data(as_text=True)
    assert "すべてのモジュールを読みました" in outline and "修了" in outline
    assert outline.count("読了") == 2


def test_marking_read_twice_stores_one_row(client, learner):
    client.post("/learn/test-course/01-first/read")
    client.post("/learn/test-course/01-first/read")
    assert db.session.scalar(select(func.count()).select_from(ModuleRead)) == 1


def test_unknown_course_or_module_is_404(client, learner):
    assert client.get("/learn/nope").status_code == 404
    assert client.get("/learn/test-course/99-nope").status_code == 404
    assert client.post("/learn/test-course/99-nope/read").status_code == 404


def test_learner_pages_need_the_personal_link(client, course):
    response = client.get("/learn/test-course/01-first")
    assert response.status_code == 401 and "個人用リンク" in response.get_data(as_text=True)


def test_learners_see_neutral_text_for_unset_facts(client, learner):
    html = client.get("/learn/test-course/01-first").get_data(as_text=True)
    assert "未設定" not in html and "{{" not in html
    assert "お住まいの市区町村の消費生活センター" in html and "消費者ホットライン188" in html
    assert '<div class="admonition caution">' in html


def test_secretariat_sets_local_facts_and_learners_see_them(
    client, app, network, learner, make_user, login
):
    staff = app.test_client()
    login(staff, make_user(network, Role.SECRETARIAT))
    preview = staff.get(f"/n/{network.id}/courses/test-course/01-first").get_data(as_text=True)
    assert "「未設定」消費生活センターの名称" in preview
    response = staff.post(
        f"/n/{network.id}/settings/",
        data={
            "consumer_centre_name": "みどり市消費生活センター",
            "consumer_centre_phone": "0000-11-2222",
        },
        follow_redirects=True,
    )
    assert "地域の窓口情報を保存しました。" in response.get_data(as_text=True)
    html = client.get("/learn/test-course/01-first").get_data(as_text=True)
    assert "みどり市消費生活センター" in html and "0000-11-2222" in html
    preview = staff.get(f"/n/{network.id}/courses/test-course/01-first").get_data(as_text=True)
    assert "「未設定」消費生活センターの名称" not in preview
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "network.settings_update")
    )
    assert event.details["changes"]["consumer_centre_name"] == ["", "みどり市消費生活センター"]


def test_local_facts_are_per_network(client, learner, make_network, make_member):
    other = make_network(name="よそ")
    other.consumer_centre_name = "よその消費生活センター"
    db.session.commit()
    html = client.get("/learn/test-course/01-first").get_data(as_text=True)
    assert "よその消費生活センター" not in html
    visitor = make_member(other)
    client.get(f"/m/{visitor.link_token}")
    assert "よその消費生活センター" in client.get("/learn/test-course/01-first").get_data(
        as_text=True
    )


def test_settings_form_rejects_too_long_values(client, network, make_user, login):
    login(client, make_user(network, Role.SECRETARIAT))
    html = client.post(
        f"/n/{network.id}/settings/", data={"consumer_centre_phone": "1" * 101}
    ).get_data(as_text=True)
    assert "100" in html and "文字" in html
    assert db.session.get(Network, network.id).consumer_centre_phone == ""


def test_trainers_preview_but_cannot_edit_settings(client, network, make_user, login, course):
    login(client, make_user(network, Role.TRAINER))
    html = client.get(f"/n/{network.id}/courses/").get_data(as_text=True)
    assert "テスト研修" in html and "事務局に設定を依頼してください" in html
    assert client.get(f"/n/{network.id}/settings/").status_code == 403
