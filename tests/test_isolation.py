"""Network isolation, proven for every route: a new route cannot forget it.

The test walks the app's URL map. Every staff route that belongs to a network must answer 404 to
a user of another network (for the network's own URL, and for the user's own network URL with
another network's record ids), must send anonymous visitors to the login page, and must answer
404 to a signed-in learner. Routes outside networks must be listed here with who may use them.
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from tests.certificates.helpers import make_certificate
from tests.content.helpers import write_course
from trainer.accounts import invitations
from trainer.accounts.models import Role, StaffInvitation
from trainer.bulletins.models import Bulletin
from trainer.concerns.models import ConcernReport
from trainer.courses.loading import load_courses
from trainer.extensions import db
from trainer.learning.models import Course
from trainer.mail import outbox
from trainer.mail.models import OutgoingMail
from trainer.secretariat.models import RosterImport
from trainer.timeutil import today_jst, utcnow
from trainer.workshops.codes import new_code
from trainer.workshops.models import Participant, ParticipantDevice, Workshop

# Every route outside /n/<network_id>/, with what it is. A new one must be added here on purpose.
GLOBAL_ENDPOINTS = {
    "static": "public",
    "core.home": "public",
    "core.healthz": "public",
    "auth.login": "public",
    "auth.logout": "public",
    "auth.reset_password": "token",
    # Invitation links: the token finds the invitation; accepting needs the invited account
    # itself (signed in, or choosing its first password): tests/accounts/test_invitations.py.
    "auth.invitation": "token",
    "auth.invitation_accept": "token",
    "auth.invitation_decline": "token",
    "auth.change_password": "staff",
    "learning.personal_link": "token",
    "learning.home": "learner",
    "learning.course": "learner",
    "learning.module": "learner",
    "learning.mark_read": "learner",
    # A learner's own attempts: another member's attempt is 404 (tests/quizzes/test_bad_input.py).
    "quizzes.start_page": "learner",
    "quizzes.attributes": "learner",
    "quizzes.start": "learner",
    "quizzes.question": "learner",
    "quizzes.save_answer": "learner",
    "quizzes.review": "learner",
    "quizzes.submit": "learner",
    "quizzes.result": "learner",
    # The refresher (更新研修): the member's own certificate only; its test is a quiz attempt
    # (quizzes.*), so another member's is 404 there (tests/refresher/test_renewal.py).
    "refresher.page": "learner",
    "refresher.start": "learner",
    # The public check of a certificate or badge (a QR code on paper): tests/certificates.
    "verify.page": "public",
    "verify.credential_json": "public",
    "verify.issuer_key_document": "public",
    "verify.by_serial": "public",
    # A learner's own certificates: another member's is 404 (tests/certificates).
    "my_certificates.index": "learner",
    "my_certificates.show": "learner",
    "my_certificates.pdf": "learner",
    # Workshop participants: the phone's signed session names its participant, in that workshop
    # only (tests/workshops/test_bad_input.py); a wrong code is 404 and rate limited.
    "join.enter": "public",
    "join.join": "public",
    "join.state": "participant",
    "join.me": "participant",
    "join.answers": "participant",
    "join.feedback": "participant",
    "join.attributes": "participant",
    "join.leave": "participant",
    "join.wait": "participant",
    "join.wait_state": "participant",
    "join.certificate": "participant",
    "join.certificate_pdf": "participant",
    # The projector link: an HMAC of the workshop and its link version, counts only, no names;
    # another workshop's or an old token is 404 (tests/workshops/test_projector_link.py).
    "projector.page": "token",
    "projector.live": "token",
    # The report form behind the badge's second QR code: the reporting token finds the member,
    # and opens the form and nothing else (tests/concerns/test_member_side.py).
    "report_form.form": "token",
    "report_form.sent": "token",
    # A member's own reports: another member's is 404 (tests/concerns/test_member_side.py).
    "my_concerns.index": "learner",
    "my_concerns.new": "learner",
    "my_concerns.show": "learner",
    "my_concerns.acknowledge": "learner",
    "my_concerns.reply": "learner",
    # A member's bulletins: one not for them (another organisation, a draft, another network's)
    # is 404 (tests/bulletins/test_member_side.py).
    "my_bulletins.index": "learner",
    "my_bulletins.show": "learner",
    "my_bulletins.attachment": "learner",
    "my_bulletins.mail": "learner",
    # The stop link of bulletin mails: a signed token naming one member, which can only stop
    # that member's bulletin mails; forged or unknown: a neutral 404 (tests/bulletins).
    "bulletin_mail.confirm": "token",
    "bulletin_mail.stop": "token",
    # A network's public bulletins (published and marked public only) and their Atom feed,
    # under /p/<public_network_id>/: tests/bulletins/test_outputs_public.py and _feed.py.
    "public_bulletins.index": "public",
    "public_bulletins.show": "public",
    "public_bulletins.atom": "public",
    # The notice-board copy for the member's own organisation, of a bulletin meant for them;
    # any other is 404 (tests/bulletins/test_outputs_print.py).
    "my_bulletin_print.notice_pdf": "learner",
    # The prefecture / national page (都道府県・全国の集計): an account with an area role only,
    # counts only, its own prefecture's networks only; 404 to anyone else and on every
    # /n/<id>/ page for it (tests/prefecture/test_pages.py).
    "prefecture.index": "area",
    "prefecture.export_csv": "area",
    "admin.index": "admin",
    "admin.network_new": "admin",
    "admin.reset_link": "admin",
    "admin.reissue_invitation": "admin",
    "admin.cancel_invitation": "admin",
    "admin.grant_area_role": "admin",
    "admin.revoke_area_role": "admin",
}


def network_rules(app: Flask):
    return [r for r in app.url_map.iter_rules() if "network_id" in r.arguments]


@pytest.fixture
def two_networks(app, tmp_path, make_network, make_user, make_org, make_member):
    write_course(tmp_path / "courses")
    load_courses(db.session, tmp_path / "courses", None)
    course = {"course_slug": "test-course", "module_slug": "01-first"}
    a = make_network(name="Aネットワーク")
    b = make_network(name="Bネットワーク")
    a_user = make_user(a, Role.SECRETARIAT, email="a@example.jp")
    a_trainer = make_user(a, Role.TRAINER, email="a-trainer@example.jp")
    b_user = make_user(b, Role.SECRETARIAT, email="b@example.jp")
    b_org = make_org(b)
    b_member = make_member(b, b_org)
    a_org = make_org(a)
    a_member = make_member(a, a_org)
    b_certificate = make_certificate(b_member)
    a_certificate = make_certificate(a_member)
    a_draft, b_draft = (make_draft(a, a_user), make_draft(b, b_user))
    a_workshop, b_workshop = (
        make_workshop(network, a_user if network is a else b_user) for network in (a, b)
    )
    a_seat, b_seat = seat(a_workshop, a_member), seat(b_workshop, b_member)
    a_invitation = invite(a, a_user, "a-invited@example.jp")
    b_invitation = invite(b, b_user, "b-invited@example.jp")
    a_report, b_report = concern_report(a_member), concern_report(b_member)
    a_case_worker = make_user(a, Role.CASE_WORKER, email="a-case@example.jp")
    a_mail, b_mail = make_mail(a), make_mail(b)
    a_bulletin, b_bulletin = bulletin(a), bulletin(b)
    return {
        "a": a,
        "b": b,
        "a_user": a_user,
        "a_trainer": a_trainer,
        "a_case_worker": a_case_worker,
        "b_ids": {
            "member_id": b_member.id,
            "organisation_id": b_org.id,
            "user_id": b_user.id,
            "certificate_id": b_certificate.id,
            "workshop_id": b_workshop.id,
            "draft_id": b_draft.id,
            "invitation_id": b_invitation.id,
            "participant_id": b_seat.participant_id,
            "device_id": b_seat.id,
            "report_id": b_report.id,
            "mail_id": b_mail.id,
            "bulletin_id": b_bulletin.id,
            "decision": "approve",
            **course,
        },
        "a_ids": {
            "member_id": a_member.id,
            "organisation_id": a_org.id,
            "user_id": a_user.id,
            "certificate_id": a_certificate.id,
            "workshop_id": a_workshop.id,
            "draft_id": a_draft.id,
            "invitation_id": a_invitation.id,
            "participant_id": a_seat.participant_id,
            "device_id": a_seat.id,
            "report_id": a_report.id,
            "mail_id": a_mail.id,
            "bulletin_id": a_bulletin.id,
            "decision": "approve",
            **course,
        },
        "a_member": a_member,
    }


def concern_report(member) -> ConcernReport:
    """A concern report of the member's network (its number 1 there)."""
    report = ConcernReport(
        network_id=member.network_id,
        number=1,
        member_id=member.id,
        organisation_id=member.organisation_id,
        organisation_kind=member.organisation.kind,
        via="badge",
        noticed_on=today_jst(),
        urgency="soon",
        consent="given",
    )
    db.session.add(report)
    db.session.commit()
    return report


def make_mail(network) -> OutgoingMail:
    """A message of the network's outbox that could not be sent (「もう一度送る」 takes its id)."""
    mail = outbox.queue(
        db.session,
        network_id=network.id,
        kind="concern.new",
        subject_type="",
        subject_id=None,
        to="jimukyoku@example.jp",
        subject="件名",
        body="本文",
    )
    mail.status = "failed"
    db.session.commit()
    return mail


def bulletin(network) -> Bulletin:
    """A published bulletin of the network for everyone, with an attachment (so that its
    download, its page and its notice-board copy are 200)."""
    row = Bulletin(
        network_id=network.id,
        kind="newsletter",
        title="見守り通信",
        body="本文",
        audience_org_kinds=[],
        audience_organisation_ids=[],
        attachment_name="a.png",
        attachment_type="image/png",
        attachment_data=b"\x89PNG\r\n\x1a\n",
        published_at=utcnow(),
    )
    db.session.add(row)
    db.session.commit()
    return row


def make_draft(network, user) -> RosterImport:
    """A roster import waiting for confirmation (its rows as the upload stores them)."""
    draft = RosterImport(
        network_id=network.id,
        user_id=user.id,
        filename="名簿.csv",
        sha256="0" * 64,
        rows=[{"line": 2, "organisation": "ひまわり会", "name": "日向 花子", "errors": []}],
        summary={},
    )
    db.session.add(draft)
    db.session.commit()
    return draft


def invite(network, user, email: str) -> StaffInvitation:
    """An open invitation of the network (re-issuing or cancelling it needs its id)."""
    return invitations.invite(
        db.session,
        network_id=network.id,
        email=email,
        name="招待 太郎",
        role=Role.TRAINER,
        actor=user,
    ).invitation


def make_workshop(network, user) -> Workshop:
    """A workshop row as such (the test course has no quizzes, which creating one requires)."""
    workshop = Workshop(
        network_id=network.id,
        course_id=db.session.scalar(select(Course.id)),
        title="研修会",
        held_on=today_jst(),
        join_code=new_code(),
        created_by_id=user.id,
    )
    db.session.add(workshop)
    db.session.commit()
    return workshop


def seat(workshop: Workshop, member) -> ParticipantDevice:
    """A participant of the workshop, and a second phone waiting for the trainer about it."""
    participant = Participant(
        workshop_id=workshop.id,
        member_id=member.id,
        organisation_id=member.organisation_id,
        entered_name=member.name,
        matched_by="roster",
    )
    db.session.add(participant)
    db.session.flush()
    device = ParticipantDevice(
        participant_id=participant.id, device_hash="0" * 64, status="waiting"
    )
    db.session.add(device)
    db.session.commit()
    return device


def url_for_rule(rule, network_id: int, ids: dict[str, int]) -> str:
    values = {"network_id": network_id}
    for name in rule.arguments - {"network_id"}:
        assert name in ids, f"{rule.endpoint}: add <{name}> to the isolation test's ids"
        values[name] = ids[name]
    return rule.build(values)[1]


def methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def test_there_are_network_routes_to_check(app):
    endpoints = {r.endpoint for r in network_rules(app)}
    assert {"roster.members", "roster.member", "staff.index", "audit.index"} <= endpoints


def test_every_route_is_classified(app):
    unclassified = [
        r.endpoint
        for r in app.url_map.iter_rules()
        if "network_id" not in r.arguments and r.endpoint not in GLOBAL_ENDPOINTS
    ]
    assert unclassified == [], "classify these routes in GLOBAL_ENDPOINTS or put them in a network"


def test_other_networks_routes_are_404(app, client, login, two_networks):
    login(client, two_networks["a_user"])
    checked = 0
    for rule in network_rules(app):
        for method in methods(rule):
            # B's URL with B's ids, and A's URL with B's record ids.
            urls = [url_for_rule(rule, two_networks["b"].id, two_networks["b_ids"])]
            if rule.arguments & {
                "member_id",
                "organisation_id",
                "user_id",
                "certificate_id",
                "workshop_id",
                "draft_id",
                "invitation_id",
                "report_id",
                "mail_id",
                "bulletin_id",
            }:
                urls.append(url_for_rule(rule, two_networks["a"].id, two_networks["b_ids"]))
            for url in urls:
                response = client.open(url, method=method)
                assert response.status_code == 404, f"{method} {url} ({rule.endpoint})"
                assert "ページが見つかりません" in response.get_data(as_text=True)
                checked += 1
    assert checked >= 20


def test_own_network_routes_work_for_the_secretariat(app, client, login, two_networks):
    login(client, two_networks["a_user"])
    for rule in network_rules(app):
        if "GET" not in rule.methods:
            continue
        url = url_for_rule(rule, two_networks["a"].id, two_networks["a_ids"])
        # The bulletin is published (its print and member pages need that), and a published
        # bulletin is not edited: its edit page sends to the bulletin's page.
        expected = 302 if rule.endpoint == "bulletins.edit" else 200
        assert client.get(url).status_code == expected, url


def test_anonymous_visitors_are_sent_to_login(app, client, two_networks):
    for rule in network_rules(app):
        for method in methods(rule):
            url = url_for_rule(rule, two_networks["a"].id, two_networks["a_ids"])
            response = client.open(url, method=method)
            assert response.status_code == 302, f"{method} {url}"
            assert response.headers["Location"].startswith("/login")


def test_learners_cannot_open_staff_routes(app, client, login, two_networks):
    login(client, two_networks["a_member"])
    for rule in network_rules(app):
        for method in methods(rule):
            url = url_for_rule(rule, two_networks["a"].id, two_networks["a_ids"])
            assert client.open(url, method=method).status_code == 404, f"{method} {url}"


def test_trainers_get_403_on_secretariat_pages(app, client, login, two_networks):
    login(client, two_networks["a_trainer"])
    allowed = {
        "network.dashboard",
        "roster.organisations",
        "courses.index",
        "courses.preview",
        "report.index",
        "report.print_view",
        "report.summary_view",
    }
    # Trainers run workshops; these answer as the page would (a form redisplayed, a redirect).
    workshop_pages = {
        "workshops.index",
        "workshops.new",
        "workshops.detail",
        "workshops.phase",
        "workshops.projector",
        "workshops.new_projector_link",
        "workshops.export_csv",
        "workshops.export_xlsx",
        "workshops.confirm_participant",
        "workshops.confirm_everyone",
        "workshops.decide_device",
    }
    for rule in network_rules(app):
        for method in methods(rule):
            url = url_for_rule(rule, two_networks["a"].id, two_networks["a_ids"])
            response = client.open(url, method=method)
            if rule.endpoint in workshop_pages:
                assert response.status_code in (200, 302, 422), f"{method} {url}"
                continue
            expected = 200 if rule.endpoint in allowed else 403
            assert response.status_code == expected, f"{method} {url}"
    page = client.get(
        f"/n/{two_networks['a'].id}/roster" if False else f"/n/{two_networks['a'].id}/"
    )
    assert "構成員の一覧は事務局が管理します" in page.get_data(as_text=True)


def test_admin_routes_are_hidden_from_everyone_else(app, client, login, two_networks):
    login(client, two_networks["a_user"])
    for rule in app.url_map.iter_rules():
        if GLOBAL_ENDPOINTS.get(rule.endpoint) != "admin":
            continue
        for method in methods(rule):
            url = rule.build({"user_id": two_networks["a_user"].id, "invitation_id": 1})[1]
            assert client.open(url, method=method).status_code == 404, url


def test_case_workers_see_reports_and_nothing_else(app, client, login, two_networks):
    """A 相談員 handles concern reports: the inbox, a report and its forms, the figures and the
    network's home page. Every other staff page of the network is 403 (roster, results, trainer
    pages), and trainers in turn get 403 on every report page (the test above)."""
    login(client, two_networks["a_case_worker"])
    reached = 0
    for rule in network_rules(app):
        for method in methods(rule):
            url = url_for_rule(rule, two_networks["a"].id, two_networks["a_ids"])
            response = client.open(url, method=method)
            blueprint = rule.endpoint.partition(".")[0]
            if blueprint in {"concerns", "concern_figures"} or rule.endpoint == "network.dashboard":
                assert response.status_code in (200, 302, 400, 422), f"{method} {url}"
                reached += 1
            else:
                assert response.status_code == 403, f"{method} {url} ({rule.endpoint})"
    assert reached >= 6
