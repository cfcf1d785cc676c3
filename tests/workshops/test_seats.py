"""Trust in the room: a seat belongs to the phone that took it; a typed name proves nothing until
the trainer or the secretariat confirms it; until then a pass is 確認中, never 有効.

Each test reproduces a finding of the security and newcomer reviews (walk-ins vouched for at
once, a colleague's test taken over by typing their name) through the pages, as people would."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.quizzes.helpers import course_statistics
from tests.workshops.helpers import (
    answer_test,
    join,
    move_to,
    open_attempt_id,
    page_form,
    phone,
)
from trainer.accounts import roster
from trainer.accounts.models import Member, Role
from trainer.audit.models import AuditEvent
from trainer.certificates import service as certificates
from trainer.certificates.models import Certificate
from trainer.extensions import db
from trainer.quizzes.models import Answer, Attempt
from trainer.secretariat import completion
from trainer.workshops.models import Participant, ParticipantDevice

PENDING_TEXT = "事務局の確認が済むまで、構成員証としては有効ではありません。"


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def verify(client, certificate: Certificate) -> str:
    response = client.get(f"/verify/{certificate.token}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def only_certificate() -> Certificate:
    [certificate] = db.session.scalars(select(Certificate)).all()
    db.session.refresh(certificate)
    return certificate


def passes(client, room, p, *, right: bool = True):
    """From wherever the workshop is, through the pre-test to a submitted post-test."""
    move_to(client, room, "pre")
    answer_test(p, room, "pre", right=False)
    move_to(client, room, "post")
    return answer_test(p, room, "post", right=right)


# --- walk-ins are not vouched for ---------------------------------------------------------------


def test_a_walk_in_who_passes_is_pending_everywhere_until_the_secretariat_confirms(
    app, client, login, room, make_org, make_user
):
    bank = make_org(room.network, "みなと信用金庫 本店", kind="financial")
    login(client, room.trainer)
    p = phone(app)
    assert join(p, room, org=bank, name="見守 花子").status_code == 302
    # The trainer saw them in the room: that confirms who they are, not that they are a member.
    participant = db.session.scalar(select(Participant))
    client.post(f"{room.base}/participants/{participant.id}/confirm")
    assert passes(client, room, p).passed is True

    certificate = only_certificate()
    page = verify(client, certificate)
    assert "確認中" in page and PENDING_TEXT in page
    assert "有効</p>" not in page and "構成員で" not in page and "✓" not in page
    credential = client.get(f"/verify/{certificate.token}.json").get_json()
    assert credential["credentialStatus"]["status"] == "pending"
    assert credential["credentialStatus"]["statusLabel"] == "確認中"
    assert credential["credentialStatus"]["statusDescription"].startswith(PENDING_TEXT)
    # The phone says when it becomes valid and hands out no sheet that would look valid.
    me = p.get(f"/join/{room.code}/me").get_data(as_text=True)
    assert "「確認中」です" in me and "事務局が名簿に登録すると有効になります" in me
    assert "修了証を開く" not in me
    assert p.get(f"/join/{room.code}/certificate").status_code == 404
    assert p.get(f"/join/{room.code}/certificate.pdf").status_code == 404

    # Not on the roster, not on a badge sheet, not 修了, not in the report.
    walk_in = certificate.member
    secretariat = make_user(room.network, Role.SECRETARIAT)
    login(client, secretariat)
    members = client.get(f"/n/{room.network.id}/members").get_data(as_text=True)
    assert "見守 花子<" not in members and "見守 花子1" in members
    waiting = client.get(f"/n/{room.network.id}/members?status=review").get_data(as_text=True)
    assert "見守 花子" in waiting and "確認待ち" in waiting
    assert walk_in.status_label == "確認待ち"
    badges = certificates.badge_certificates(
        db.session, network_id=room.network.id, course_id=room.course.id, organisation_id=None
    )
    assert badges == []
    summary = completion.summary(db.session, room.network.id, room.course)
    assert summary.members == 3 and summary.count("completed") == 0
    stats = course_statistics(db.session, network_id=room.network.id, course=room.course)
    assert stats.learners_post == 0
    assert certificates.status_counts(db.session, room.network.id)["pending"] == 1

    # The secretariat's review makes them a member: the same certificate is valid from now on.
    review = client.get(f"/n/{room.network.id}/workshops/review").get_data(as_text=True)
    assert "見守 花子" in review and "みなと信用金庫 本店" in review
    client.post(f"/n/{room.network.id}/workshops/review/{walk_in.id}/confirm")
    page = verify(client, certificate)
    assert "有効" in page and "の構成員で、研修を修了しています" in page
    assert completion.summary(db.session, room.network.id, room.course).count("completed") == 1
    stats = course_statistics(db.session, network_id=room.network.id, course=room.course)
    assert stats.learners_post == 1
    assert count(AuditEvent, AuditEvent.action == "member.confirm") == 1


def test_the_secretariat_can_reject_a_walk_in_with_a_reason(app, client, login, room, make_user):
    login(client, room.trainer)
    p = phone(app)
    join(p, room, org=room.orgs[1], name="名簿 にない人")
    passes(client, room, p)
    certificate = only_certificate()
    walk_in = certificate.member
    login(client, make_user(room.network, Role.SECRETARIAT))
    url = f"/n/{room.network.id}/workshops/review/{walk_in.id}/reject"
    refused = client.post(url, data={"reason": "  "}, follow_redirects=True)
    assert "確認しない理由を入力してください" in refused.get_data(as_text=True)
    db.session.refresh(certificate)
    assert certificate.revoked_at is None  # a refused request changes nothing
    client.post(url, data={"reason": "当協議会の構成団体の職員ではない"})
    page = verify(client, certificate)
    assert "取消" in page and "有効</p>" not in page
    db.session.refresh(walk_in)
    assert walk_in.rejected_reason == "当協議会の構成団体の職員ではない"
    assert walk_in.status_label == "確認しない"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "member.reject"))
    assert event.details["certificates_revoked"] == 1
    # Off the review list for good, and never matched again by the same typed name.
    assert "名簿 にない人" not in client.get(f"/n/{room.network.id}/workshops/review").get_data(
        as_text=True
    )


# --- a typed name is not the person --------------------------------------------------------------


def test_typing_a_roster_members_name_gives_a_pending_result_until_the_trainer_confirms(
    app, client, login, room
):
    login(client, room.trainer)
    p = phone(app)
    join(p, room, org=room.orgs[0], name="見守 花子2")  # a member they may never have met
    attempt = passes(client, room, p)
    member = room.members[1]
    assert attempt.member_id == member.id and attempt.awaiting_confirmation is True
    certificate = only_certificate()
    page = verify(client, certificate)
    assert "確認中" in page and "構成員で" not in page
    me = p.get(f"/join/{room.code}/me").get_data(as_text=True)
    assert (
        "講師または事務局が、あなたが見守 花子2さんご本人であることを確認すると有効になります" in me
    )
    # The member's own record shows nothing of it yet: no pass, no certificate in force.
    assert certificates.in_force(db.session, member, room.course) is None
    assert completion.summary(db.session, room.network.id, room.course).count("pending") == 1

    control = client.get(room.base).get_data(as_text=True)
    assert "未確認" in control and "確認中" in control
    participant = db.session.scalar(select(Participant))
    client.post(f"{room.base}/participants/{participant.id}/confirm")
    assert "✓" in verify(client, certificate) and "有効" in verify(client, certificate)
    db.session.refresh(attempt)
    assert attempt.awaiting_confirmation is False
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "workshop.participant_confirm")
    )
    assert event.actor_user_id == room.trainer.id


def test_the_secretariat_rejects_a_name_match_and_the_members_record_is_untouched(
    app, client, login, room, make_user
):
    login(client, room.trainer)
    p = phone(app)
    join(p, room, org=room.orgs[0], name="見守 花子3")
    passes(client, room, p)
    member = room.members[2]
    certificate = only_certificate()
    login(client, make_user(room.network, Role.SECRETARIAT))
    review = client.get(f"/n/{room.network.id}/workshops/review").get_data(as_text=True)
    assert "名前が名簿と一致した、本人確認がまだの参加者（1人）" in review
    participant = db.session.scalar(select(Participant))
    client.post(
        f"/n/{room.network.id}/workshops/review/participants/{participant.id}/reject",
        data={"reason": "当日は欠席していた"},
    )
    assert "取消" in verify(client, certificate)
    # Whatever was done in the member's name is on a rejected entry, not on the member.
    assert count(Attempt, Attempt.member_id == member.id) == 0
    db.session.refresh(certificate)
    assert certificate.member_id != member.id and certificate.member.rejected_at is not None
    assert db.session.get(Member, member.id).needs_review is False
    assert count(AuditEvent, AuditEvent.action == "workshop.participant_reject") == 1


def test_a_second_phone_typing_a_colleagues_name_waits_and_sees_nothing(app, client, login, room):
    login(client, room.trainer)
    victim = phone(app)
    join(victim, room, org=room.orgs[0], name="見守 花子1")
    move_to(client, room, "post")
    attempt_id = open_attempt_id(victim, room)
    saved = page_form(attempt_id, only=5)
    saved["action"] = "save"
    victim.post(f"/join/{room.code}/answers/post", data=saved)
    assert count(Answer, Answer.attempt_id == attempt_id) == 5

    other = phone(app)
    response = join(other, room, org=room.orgs[0], name="見守　花子1")
    assert response.headers["Location"].endswith(f"/join/{room.code}/wait")
    wait = other.get(f"/join/{room.code}/wait")
    page = wait.get_data(as_text=True)
    assert wait.status_code == 200 and "講師の確認を待っています" in page
    assert " checked" not in page and 'name="q' not in page
    assert wait.headers["Cache-Control"] == "no-store"
    # Every route of the seat answers as if this phone had never joined.
    assert other.get(f"/join/{room.code}/me").status_code == 404
    assert other.get(f"/join/{room.code}/state").status_code == 404
    everything = page_form(attempt_id, right=False)
    everything["action"] = "submit"
    sent = other.post(
        f"/join/{room.code}/answers/post", data=everything, headers={"X-Requested-With": "fetch"}
    )
    assert sent.status_code == 404
    assert other.get(f"/join/{room.code}/certificate").status_code == 404
    assert db.session.get(Attempt, attempt_id).status == "open"
    assert count(Answer, Answer.attempt_id == attempt_id) == 5

    # The trainer sees it and says no: the phone is told, and still gets nothing.
    control = client.get(room.base).get_data(as_text=True)
    assert "確認を待っている端末（1台）" in control
    device = db.session.scalar(
        select(ParticipantDevice).where(ParticipantDevice.status == "waiting")
    )
    client.post(f"{room.base}/devices/{device.id}/reject")
    rejected = other.get(f"/join/{room.code}/wait")
    assert rejected.status_code == 403
    assert "講師が、この端末での参加を確認できませんでした" in rejected.get_data(as_text=True)
    assert other.get(f"/join/{room.code}/me").status_code == 404
    again = join(other, room, org=room.orgs[0], name="見守 花子1")
    assert again.status_code == 422  # the same phone asking again is told the same
    assert count(AuditEvent, AuditEvent.action == "workshop.device_reject") == 1
    # The first phone carries on as before.
    assert victim.get(f"/join/{room.code}/me").status_code == 200


def test_two_people_with_one_name_each_get_a_seat_when_the_trainer_says_so(
    app, client, login, room
):
    login(client, room.trainer)
    first, second = phone(app), phone(app)
    join(first, room, org=room.orgs[0], name="見守 花子1")
    join(second, room, org=room.orgs[0], name="見守 花子1")
    device = db.session.scalar(
        select(ParticipantDevice).where(ParticipantDevice.status == "waiting")
    )
    client.post(f"{room.base}/devices/{device.id}/separate")
    assert second.get(f"/join/{room.code}/wait").headers["Location"].endswith("/me")
    assert second.get(f"/join/{room.code}/me").status_code == 200
    duplicate = db.session.scalar(
        select(Participant).where(Participant.duplicate_of_id.is_not(None))
    )
    assert duplicate.member.needs_review is True and duplicate.member_id != room.members[0].id
    assert "重複の可能性" in client.get(room.base).get_data(as_text=True)


def test_the_same_phone_resumes_after_forgetting_whom_it_joined_as(app, client, login, room):
    login(client, room.trainer)
    p = phone(app)
    join(p, room, org=room.orgs[0], name="見守 花子1")
    p.post(f"/join/{room.code}/leave")  # 「別の人として参加し直す」, then back as themselves
    response = join(p, room, org=room.orgs[0], name="見守 花子1")
    assert response.headers["Location"].endswith(f"/join/{room.code}/me")
    assert count(ParticipantDevice) == 1 and count(Participant) == 1


def test_a_personal_link_joins_confirmed_and_takes_the_seat_from_a_typed_name(
    app, client, login, room
):
    member = room.members[0]
    login(client, room.trainer)
    typed = phone(app)
    join(typed, room, org=room.orgs[0], name="見守 花子1")
    own = phone(app)
    own.get(f"/m/{member.link_token}")
    assert own.post(f"/join/{room.code}", data={"as_member": "1"}).status_code == 302
    participant = db.session.scalar(select(Participant))
    assert participant.confirmed_via == "link"
    # The phone that only typed the name now has to ask the trainer.
    assert typed.get(f"/join/{room.code}/me").status_code == 404
    attempt = passes(client, room, own)
    assert attempt.awaiting_confirmation is False
    assert "✓" in verify(client, only_certificate())


def test_a_confirmation_racing_the_submit_never_leaves_a_confirmed_result_pending(
    app, client, login, room
):
    """Confirmed after the pass, the result and its certificate follow at once; confirmed
    before, the pass is valid from the start."""
    login(client, room.trainer)
    early, late = phone(app), phone(app)
    join(early, room, org=room.orgs[0], name="見守 花子1")
    join(late, room, org=room.orgs[0], name="見守 花子2")
    move_to(client, room, "post")
    by_name = {p.entered_name: p for p in db.session.scalars(select(Participant))}
    client.post(f"{room.base}/participants/{by_name['見守 花子1'].id}/confirm")
    answer_test(early, room, "post")
    answer_test(late, room, "post")
    client.post(f"{room.base}/participants/{by_name['見守 花子2'].id}/confirm")
    for certificate in db.session.scalars(select(Certificate)):
        db.session.refresh(certificate)
        assert certificate.awaiting_confirmation is False
        assert certificate.status_on(certificate.issued_on).value == "valid"


def test_an_entry_awaiting_review_is_not_an_active_member(app, room):
    walk_in = room.members[0]
    walk_in.needs_review = True
    db.session.commit()
    assert roster.organisation_member_counts(db.session, room.network.id) == {room.orgs[0].id: 2}
