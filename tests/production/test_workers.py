"""Several worker processes on one database, as production runs: truly concurrent requests
against `gunicorn -c deploy/gunicorn.conf.py` with 3 workers, and what is stored afterwards.

In every burst each request comes from its own device (own cookies, signed in through the real
pages) on its own connection; a barrier releases them together. The access
log names the worker process that answered each one, and each burst must have reached more
than one. Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set (conftest.py)."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from tests.live_server import LiveServer
from tests.production.browser import Browser, Page, at_once, form_on
from tests.production.conftest import redis_client, served_by
from tests.production.world import (
    learners_ready_to_submit,
    new_network,
    new_staff,
    new_workshop,
    sign_in_learner,
    sign_in_staff,
)
from trainer.accounts.models import Member, Network, Organisation, Role
from trainer.audit.models import AuditEvent
from trainer.certificates.models import Certificate
from trainer.extensions import db
from trainer.quizzes.models import Attempt
from trainer.secretariat.models import RosterImport
from trainer.workshops.models import Workshop

LEARNERS = 10  # learners passing at once
REPEATS = 10  # the same request sent this many times at once
RESET_LIMIT = 30  # trainer/accounts/views/auth.py: /reset/<token>, "30 per 15 minutes"


@pytest.fixture(autouse=True)
def fresh_rate_limits(redis_url: str) -> None:
    """Every test signs people in from 127.0.0.1, which counts against the personal-link and
    login limits: each starts with none counted."""
    with redis_client(redis_url) as r:
        r.flushdb()


@pytest.fixture(autouse=True)
def no_server_errors(production_server: LiveServer) -> Iterator[None]:
    """Whatever a test asserts, the server must not have logged an unhandled error meanwhile."""
    start = production_server.log_path.stat().st_size
    yield
    with production_server.log_path.open(errors="replace") as log:
        log.seek(start)
        written = log.read()
    assert "Traceback" not in written, written[-4000:]


def new_marker() -> str:
    return f"burst-{uuid.uuid4().hex[:10]}"


def assert_several_workers(live: LiveServer, marker: str, requests: int) -> None:
    pids = served_by(live, marker, requests)
    assert len(set(pids)) >= 2, f"all {requests} requests were answered by one worker: {pids}"


def flash_text(page: Page) -> str:
    return " ".join(re.findall(r'<div class="flash[^"]*"[^>]*>([^<]*)</div>', page.text))


def current_step(page: Page) -> str:
    found = re.search(r'<li aria-current="step"[^>]*>([^<]+)</li>', page.text)
    assert found, page.text[:2000]
    return found.group(1)


# --- certificates: serials and submitting once ---------------------------------------------------


def test_learners_passing_at_once_get_serials_one_to_n_without_gaps(production_server):
    live = production_server
    network_id, org_id = new_network(live)
    learners = learners_ready_to_submit(live, network_id, org_id, LEARNERS)
    marker = new_marker()
    phones, sends = [], []
    for i, learner in enumerate(learners):
        phone = sign_in_learner(live, learner.link_token, f"learner-phone-{i}")
        review = phone.get(f"/learn/attempts/{learner.attempt_id}/review")
        sends.append(phone.prepare_submit(review, form_on(review, "/submit"), marker=marker))
        phones.append(phone)

    submitted = at_once(sends)

    for learner, response in zip(learners, submitted, strict=True):
        assert response.status == 302, response.text[:2000]
        assert response.location == f"/learn/attempts/{learner.attempt_id}/result"
    assert_several_workers(live, marker, LEARNERS)
    with live.app_context():
        certificates = db.session.scalars(
            select(Certificate).where(Certificate.network_id == network_id)
        ).all()
        assert sorted(c.serial for c in certificates) == list(range(1, LEARNERS + 1))
        assert sorted(c.member_id for c in certificates) == sorted(x.member_id for x in learners)
        assert db.session.get(Network, network_id).last_certificate_serial == LEARNERS
        attempts = db.session.scalars(
            select(Attempt).where(Attempt.id.in_([x.attempt_id for x in learners]))
        ).all()
        assert {(a.status, a.passed) for a in attempts} == {("submitted", True)}
        label_of = {c.member_id: c.serial_label for c in certificates}
    for phone, learner in zip(phones, learners, strict=True):
        result = phone.get(f"/learn/attempts/{learner.attempt_id}/result")
        assert "合格です。研修を修了しました。" in result.text
        assert f"修了証を開く（{label_of[learner.member_id]}）" in result.text
    # What the operator keeps: the access log shows the personal links without their tokens.
    log = live.log_path.read_text(errors="replace")
    assert "GET /m/*** HTTP/1.1" in log
    assert not [x for x in learners if x.link_token in log]


def test_one_learners_submit_sent_many_times_at_once_stores_one_result(production_server):
    live = production_server
    network_id, org_id = new_network(live)
    (learner,) = learners_ready_to_submit(live, network_id, org_id, 1)
    marker = new_marker()
    phones, sends = [], []
    for i in range(REPEATS):  # double taps, retries and a second phone, all at once
        phone = sign_in_learner(live, learner.link_token, f"same-learner-device-{i}")
        review = phone.get(f"/learn/attempts/{learner.attempt_id}/review")
        sends.append(phone.prepare_submit(review, form_on(review, "/submit"), marker=marker))
        phones.append(phone)

    submitted = at_once(sends)

    assert [r.status for r in submitted] == [302] * REPEATS
    assert {r.location for r in submitted} == {f"/learn/attempts/{learner.attempt_id}/result"}
    assert_several_workers(live, marker, REPEATS)
    with live.app_context():
        attempts = db.session.scalars(
            select(Attempt).where(Attempt.member_id == learner.member_id, Attempt.phase == "post")
        ).all()
        assert [(a.id, a.status, a.passed) for a in attempts] == [
            (learner.attempt_id, "submitted", True)
        ]
        certificates = db.session.scalars(
            select(Certificate).where(Certificate.member_id == learner.member_id)
        ).all()
        assert [(c.serial, c.attempt_id) for c in certificates] == [(1, learner.attempt_id)]
        assert db.session.get(Network, network_id).last_certificate_serial == 1
    for phone in phones:  # every device shows the one result and the one certificate
        result = phone.get(f"/learn/attempts/{learner.attempt_id}/result")
        assert "修了証を開く（第00001号）" in result.text


# --- workshops: the phase moves once -------------------------------------------------------------


def test_two_trainers_moving_the_phase_at_once_move_it_once(production_server):
    live = production_server
    network_id, _ = new_network(live)
    trainers = [
        new_staff(live, network_id, Role.TRAINER, "講師 一郎"),
        new_staff(live, network_id, Role.TRAINER, "講師 二郎"),
    ]
    workshop_id = new_workshop(live, network_id, trainers[0], participants=4)
    detail = f"/n/{network_id}/workshops/{workshop_id}"
    # Several devices per trainer: a laptop, a tablet, double clicks.
    devices = [
        sign_in_staff(live, trainers[i % 2], f"trainer-{i % 2}-device-{i}") for i in range(REPEATS)
    ]

    # Both press 次へ：事前テストを始める (from 受付) at the same moment.
    first = new_marker()
    pages = [device.get(detail) for device in devices]
    moved = at_once(
        [
            device.prepare_submit(page, form_on(page, "/phase", to="pre"), marker=first)
            for device, page in zip(devices, pages, strict=True)
        ]
    )
    assert [(r.status, r.location) for r in moved] == [(302, detail)] * len(devices)
    with live.app_context():
        assert db.session.get(Workshop, workshop_id).phase == "pre"
        events = phase_events(workshop_id)
        assert [e.details for e in events] == [{"from": "受付", "to": "事前テスト"}]
        # The move opened everyone's pre-test once: one attempt per participant, not six.
        opened = db.session.execute(
            select(Attempt.member_id, func.count())
            .where(Attempt.workshop_id == workshop_id, Attempt.phase == "pre")
            .group_by(Attempt.member_id)
        ).all()
        assert len(opened) == 4 and {n for _, n in opened} == {1}
    for device, response in zip(devices, moved, strict=True):
        shown = device.follow(response)
        assert flash_text(shown) == "「事前テスト」に進めました。参加者の画面も切り替わります。"
        assert current_step(shown) == "事前テスト"

    # Now they disagree: one goes on to 研修, the other back to 受付, at the same moment.
    second = new_marker()
    wanted = ["training" if i % 2 == 0 else "reception" for i in range(len(devices))]
    pages = [device.get(detail) for device in devices]
    moved = at_once(
        [
            device.prepare_submit(page, form_on(page, "/phase", to=to), marker=second)
            for device, page, to in zip(devices, pages, wanted, strict=True)
        ]
    )
    assert [(r.status, r.location) for r in moved] == [(302, detail)] * len(devices)
    with live.app_context():
        phase = db.session.get(Workshop, workshop_id).phase
        events = phase_events(workshop_id)
    assert phase in ("training", "reception")
    label = {"training": "研修", "reception": "受付"}[phase]
    assert [e.details["to"] for e in events] == ["事前テスト", label]
    for device, response, to in zip(devices, moved, wanted, strict=True):
        shown = device.follow(response)
        assert current_step(shown) == label
        if to == phase:  # the winner, or the same click again: told it happened
            assert flash_text(shown).startswith(f"「{label}」に"), flash_text(shown)
        else:  # the other trainer: told that someone else changed it, and to what
            assert flash_text(shown).startswith(f"ほかの操作で段階が「{label}」に変わっています。")
    assert_several_workers(live, first, len(devices))
    assert_several_workers(live, second, len(devices))


def phase_events(workshop_id: int) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.action == "workshop.phase",
                AuditEvent.target_type == "workshop",
                AuditEvent.target_id == workshop_id,
            )
            .order_by(AuditEvent.id)
        )
    )


# --- roster import: confirmed once ---------------------------------------------------------------

ROSTER = (
    "団体名,氏名,ふりがな,職種,年代,メールアドレス,加入日\r\n"
    "みどり居宅介護支援事業所,青木 一郎,あおき いちろう,ケアマネジャー,40代,,2026/4/1\r\n"
    "みどり居宅介護支援事業所,石井 二郎,いしい じろう,,,,\r\n"
    "みどり居宅介護支援事業所,上田 三郎,うえだ さぶろう,,,,\r\n"
    "ひまわり会,江藤 四郎,えとう しろう,,50代,,\r\n"
    "ひまわり会,小野 五郎,おの ごろう,,,,\r\n"
).encode()
ROSTER_NAMES = ["青木 一郎", "石井 二郎", "上田 三郎", "江藤 四郎", "小野 五郎"]


def test_the_secretariat_confirming_one_import_many_times_at_once_applies_it_once(
    production_server,
):
    live = production_server
    network_id, _ = new_network(live)
    email = new_staff(live, network_id, Role.SECRETARIAT, "事務局 花子")
    devices = [sign_in_staff(live, email, f"secretariat-device-{i}") for i in range(REPEATS)]
    upload = devices[0].get(f"/n/{network_id}/roster/import/")
    sent = devices[0].submit(
        upload,
        form_on(upload, "/roster/import/"),
        files={"file": ("meibo.csv", ROSTER, "text/csv")},
    )
    assert sent.status == 302, sent.text[:2000]
    preview = sent.location
    draft_id = int(preview.rstrip("/").rsplit("/", 1)[1])
    marker = new_marker()
    pages = [device.get(preview) for device in devices]
    assert all("まだ名簿は変わっていません" in page.text for page in pages)

    confirmed = at_once(
        [
            device.prepare_submit(page, form_on(page, "/confirm"), marker=marker)
            for device, page in zip(devices, pages, strict=True)
        ]
    )

    outcomes = Counter((r.status, flash_text(r)) for r in confirmed)
    statuses = Counter(r.status for r in confirmed)
    assert statuses == {302: 1, 409: REPEATS - 1}, outcomes
    assert_several_workers(live, marker, REPEATS)
    with live.app_context():
        names = db.session.scalars(
            select(Member.name).where(Member.network_id == network_id).order_by(Member.name)
        ).all()
        assert names == sorted(ROSTER_NAMES)
        organisations = db.session.scalars(
            select(Organisation.name).where(Organisation.network_id == network_id)
        ).all()
        assert sorted(organisations) == sorted(["みどり居宅介護支援事業所", "ひまわり会"])
        events = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.network_id == network_id, AuditEvent.action == "roster.import"
            )
        ).all()
        recorded = [(e.target_id, e.details["created"], e.details["organisations"]) for e in events]
        assert recorded == [(draft_id, 5, 1)]
        assert db.session.get(RosterImport, draft_id).applied_at is not None
    for device, response in zip(devices, confirmed, strict=True):
        if response.status == 302:
            shown = device.follow(response)
            assert "新規 5人、更新 0人、退会 0人、構成団体 1件を登録しました。" in flash_text(shown)
        else:  # the repeats: told it is already done, not that something failed
            assert "このファイルの取り込みは、すでに反映されています。" in response.text


# --- rate limits: counted once for all workers ---------------------------------------------------


def test_a_rate_limit_counts_the_requests_of_every_worker_together(production_server, redis_url):
    live = production_server
    sent = RESET_LIMIT + 10
    marker = new_marker()
    guesses = [
        Browser(live, f"guesser-{i}").prepare("GET", f"/reset/guess{i:04d}", marker=marker)
        for i in range(sent)
    ]

    answered = at_once(guesses)

    # Exactly the limit got through, summed over the workers: with each worker counting on its
    # own (memory storage) up to 3 × 30 would have.
    assert Counter(r.status for r in answered) == {404: RESET_LIMIT, 429: sent - RESET_LIMIT}
    refused = next(r for r in answered if r.status == 429)
    assert "操作の回数が多すぎます" in refused.text
    assert_several_workers(live, marker, sent)
    with redis_client(redis_url) as r:
        (key,) = [k for k in r.keys("*") if "reset_password" in k]
        assert int(r.get(key)) == sent  # one counter for all, every request counted

    # Once exhausted, new devices on new connections are refused by whichever worker answers,
    # also when they claim another address (no proxy is trusted: TRAINER_PROXY_COUNT=0).
    later = [
        Browser(live, f"later-{i}").get(
            f"/reset/later{i}", headers={"X-Forwarded-For": f"203.0.113.{i + 1}"}
        )
        for i in range(REPEATS)
    ]
    assert [r.status for r in later] == [429] * REPEATS
    with redis_client(redis_url) as r:
        assert int(r.get(key)) == sent + REPEATS
