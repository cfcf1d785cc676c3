"""The refresher through the learner's pages: the review, the refresher test in versions not
seen before, a pass renewing the certificate (new serial and token, the old one superseded),
/verify of the old token, the badge, the audit log; a failure offering another try."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.quizzes.helpers import answer_all, load_repository_content, read_all_modules, start
from tests.quizzes.helpers import submit as submit_attempt
from trainer.accounts.models import Role
from trainer.audit.models import AuditEvent
from trainer.certificates import service
from trainer.certificates.models import Certificate, CertificateStatus
from trainer.errors import Conflict
from trainer.extensions import db
from trainer.learning.models import ModuleVersion
from trainer.quizzes.attempts import new_idempotency_key
from trainer.quizzes.models import REFRESHER, Attempt, QuizBank
from trainer.refresher import renewal
from trainer.timeutil import today_jst, utcnow

COURSE = "mimamori-basic"
PAGE = f"/learn/{COURSE}/refresher"


@pytest.fixture
def member(app, client, make_network, make_member):
    load_repository_content()
    network = make_network()
    member = make_member(network, name="佐藤 恵子")
    client.get(f"/m/{member.link_token}")
    read_all_modules(client)
    attempt_id = start(client, COURSE, "post")
    answer_all(client, attempt_id, right=True)
    assert submit_attempt(client, attempt_id).status_code == 302
    return member


def first_certificate() -> Certificate:
    return db.session.scalars(select(Certificate).order_by(Certificate.id)).first()


def start_refresher(client) -> int:
    page = client.get(PAGE).get_data(as_text=True)
    assert "更新テストを受ける" in page or "続きから答える" in page, page
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    response = client.post(f"{PAGE}/start", data={"key": key})
    assert response.status_code == 302
    return int(re.search(r"/learn/attempts/(\d+)/", response.headers["Location"]).group(1))


def test_closed_until_90_days_before(client, member):
    old = first_certificate()
    page = client.get(PAGE).get_data(as_text=True)
    assert "更新研修は、修了証の有効期限の90日前から" in page
    with pytest.raises(Conflict):
        renewal.start(
            db.session,
            member=member,
            course=old.course,
            key=new_idempotency_key(),
            today=today_jst(),
        )
    # With the fake clock 90 days before the last day, it opens.
    opened = renewal.start(
        db.session,
        member=member,
        course=old.course,
        key=new_idempotency_key(),
        today=old.valid_until - timedelta(days=90),
    )
    assert opened.phase == REFRESHER
    db.session.delete(opened)
    db.session.commit()
    assert db.session.scalar(select(Attempt).where(Attempt.phase == REFRESHER)) is None
    assert old.status_on(today_jst()) is CertificateStatus.VALID


def test_passing_the_refresher_renews_the_certificate(client, member, login, make_user):
    old = first_certificate()
    old.valid_until = today_jst() + timedelta(days=40)
    db.session.commit()
    page = client.get(PAGE).get_data(as_text=True)
    assert "修了証を受けてから、研修の内容は変わっていません。すぐにテストを受けられます。" in page

    attempt_id = start_refresher(client)
    attempt = db.session.get(Attempt, attempt_id)
    post = db.session.scalar(select(Attempt).where(Attempt.phase == "post"))
    assert attempt.phase == REFRESHER
    survey = db.session.scalar(select(QuizBank).where(QuizBank.slug == "attitude"))
    assert not set(attempt.question_ids) & set(survey.question_ids)  # not asked again
    assert len(attempt.question_ids) == len(post.question_ids) - len(survey.question_ids)
    seen = {
        q
        for a in db.session.scalars(select(Attempt).where(Attempt.id != attempt_id))
        for q in a.question_ids
    }
    assert not set(attempt.question_ids) & seen  # every version new to this member

    answer_all(client, attempt_id, right=True)
    response = submit_attempt(client, attempt_id)
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "合格です。修了証を更新しました。" in result

    new = db.session.scalar(select(Certificate).where(Certificate.attempt_id == attempt_id))
    db.session.refresh(old)
    assert new.serial == old.serial + 1 and new.token != old.token
    # Renewed 40 days early: the new period starts the day after the old one's last day.
    assert new.valid_until == service.valid_until_for(
        old.valid_until + timedelta(days=1), new.course.certificate_months
    )
    assert old.supersession.new_certificate_id == new.id
    assert old.status_on(today_jst()) is CertificateStatus.SUPERSEDED
    assert new.status_on(today_jst()) is CertificateStatus.VALID
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.renew"))
    assert event.target_id == new.id and event.details["renewed_from"] == old.serial_label
    assert "佐藤 恵子" in event.actor_label

    # The old /verify page: replaced, pointing to the current one, never 有効 on its own.
    old_page = client.get(f"/verify/{old.token}").get_data(as_text=True)
    assert "更新済み" in old_page
    assert "この修了証は更新され、新しい修了証に置き換えられています。" in old_page
    assert f'href="/verify/{new.token}"' in old_page
    assert "研修を修了しています" not in old_page
    assert ">有効<" not in old_page
    new_page = client.get(f"/verify/{new.token}").get_data(as_text=True)
    assert "研修を修了しています" in new_page
    # The badge printed afterwards carries the new certificate; the lists count it once.
    badges = service.badge_certificates(
        db.session, network_id=new.network_id, course_id=new.course_id, organisation_id=None
    )
    assert [c.id for c in badges] == [new.id]
    counts = service.status_counts(db.session, new.network_id)
    assert counts["valid"] == 1 and counts["superseded"] == 1
    # No banner any more, and the refresher is closed until the next window.
    assert "更新研修を始める" not in client.get("/learn").get_data(as_text=True)
    assert "いまは受けられる修了証がありません" in client.get(PAGE).get_data(as_text=True)
    # The secretariat's page of the old certificate names the new one.
    login(client, make_user(new.network, Role.SECRETARIAT))
    detail = client.get(f"/n/{new.network_id}/certificates/{old.id}").get_data(as_text=True)
    assert f">{new.serial_label}</a>" in detail and "更新研修で更新" in detail


def test_changed_modules_are_listed_for_review(client, member):
    old = first_certificate()
    old.valid_until = today_jst() + timedelta(days=10)
    version = db.session.scalars(select(ModuleVersion).order_by(ModuleVersion.id)).first()
    version.created_at = utcnow() + timedelta(minutes=5)  # loaded after the certificate
    db.session.commit()
    page = client.get(PAGE).get_data(as_text=True)
    assert "次のモジュールの内容が新しくなりました" in page
    assert version.title in page


def test_failing_offers_another_try_in_unseen_versions(client, member):
    old = first_certificate()
    old.valid_until = today_jst() - timedelta(days=20)  # expired: still open for a year
    db.session.commit()
    assert "有効期限" in client.get(PAGE).get_data(as_text=True)
    first = start_refresher(client)
    answer_all(client, first, right=False)
    result = client.get(submit_attempt(client, first).headers["Location"]).get_data(as_text=True)
    assert "今回は合格点に届きませんでした。" in result
    assert f'action="{PAGE}/start"' in result
    assert db.session.scalar(select(Certificate).where(Certificate.attempt_id == first)) is None

    second = start_refresher(client)
    assert second != first
    # Each question has one variant besides its main version: the first refresher used the
    # unseen ones, so the retry goes back to the version seen longest ago, never the same set.
    first_ids = db.session.get(Attempt, first).question_ids
    assert not set(db.session.get(Attempt, second).question_ids) & set(first_ids)
    answer_all(client, second, right=True)
    submit_attempt(client, second)
    new = db.session.scalar(select(Certificate).where(Certificate.attempt_id == second))
    # Renewed after the expiry: counted from the pass date.
    assert new.valid_until == service.valid_until_for(today_jst(), new.course.certificate_months)
    db.session.refresh(old)
    assert old.status_on(today_jst()) is CertificateStatus.SUPERSEDED
