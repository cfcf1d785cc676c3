"""The stored per-network figures equal a plain count of the tables after each realistic action
(quizzes taken alone and in a workshop, a member leaving, a certificate revoked, a roster
import, a day passing), and every action marks the network stale in its own transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.prefecture.plain_counts import plain_counts, stored_counts
from tests.quizzes.helpers import take
from tests.secretariat.fixtures.roster_files import confirm, csv_file, uploaded
from tests.workshops.helpers import answer_test, join, make_room, move_to, phone
from trainer.accounts import roster
from trainer.accounts.models import Network, Role
from trainer.certificates import service as certificates
from trainer.certificates.models import Certificate
from trainer.extensions import db
from trainer.learning.models import Course
from trainer.prefecture import summaries
from trainer.prefecture.models import NetworkFiguresChange
from trainer.timeutil import today_jst


def stale(network: Network) -> bool:
    return bool(
        db.session.scalar(
            select(func.count())
            .select_from(NetworkFiguresChange)
            .where(NetworkFiguresChange.network_id == network.id)
        )
    )


def refresh_and_compare(room, other, today=None) -> None:
    """Recompute what is due; the stored rows then equal the plain counts, for both networks."""
    summaries.refresh_due(db.session)
    db.session.expire_all()
    for network in (room.network, other):
        assert not stale(network)
        expected = plain_counts(network.id, room.course.id, today or today_jst())
        assert stored_counts(network.id, room.course.id) == expected, network.name


@pytest.fixture
def room(make_network, make_user, make_org, make_member):
    return make_room(make_network, make_user, make_org, make_member, members=6)


def test_the_stored_figures_equal_a_plain_count_after_each_action(
    app, client, login, room, make_network, make_org, make_member, make_user, monkeypatch
):
    other = make_network(name="となり町ネットワーク")
    other_org = make_org(other)
    for i in range(3):
        make_member(other, other_org, name=f"隣 太郎{i}")
    refresh_and_compare(room, other)
    first = stored_counts(room.network.id, room.course.id)
    assert first is not None and first["members"] == 6 and first["not_started"] == 6

    # Alone, on their phones: four take the pre-test, three the post-test (two pass).
    alone = room.members[:4]
    for member in alone:
        take(member, room.course, "pre", right=set())
    assert stale(room.network) and not stale(other)
    take(alone[0], room.course, "post", right={"*"}, override=None)
    for member in alone[1:3]:
        take(member, room.course, "post", right=_all_keys(room))
    refresh_and_compare(room, other)
    assert stored_counts(room.network.id, room.course.id)["learners_paired"] == 3

    # In a workshop: the last two join from phones, are confirmed, and take both tests.
    login(client, room.trainer)
    phones = [phone(app) for _ in range(2)]
    for p, member in zip(phones, room.members[4:], strict=True):
        assert join(p, room, org=room.orgs[0], name=member.name).status_code == 302
    assert client.post(f"{room.base}/participants/confirm-all").status_code == 302
    refresh_and_compare(room, other)
    move_to(client, room, "pre")
    for p in phones:
        answer_test(p, room, "pre", right=False)
    assert stale(room.network)
    move_to(client, room, "post")
    for p in phones:
        answer_test(p, room, "post", right=True)
    refresh_and_compare(room, other)
    assert stored_counts(room.network.id, room.course.id)["learners_paired"] == 5

    # A member leaves (from today), a certificate is revoked.
    leaving = alone[1]
    roster.end_membership(
        db.session, member=leaving, end_date=today_jst(), reason="異動", actor=room.trainer
    )
    db.session.commit()
    assert stale(room.network)
    refresh_and_compare(room, other)
    certificate = db.session.scalar(select(Certificate).where(Certificate.member_id == alone[2].id))
    certificates.revoke(db.session, certificate=certificate, reason="誤って発行", actor=None)
    db.session.commit()
    assert stale(room.network)
    refresh_and_compare(room, other)

    # A roster import by the secretariat: two new members and one moved to a new organisation.
    secretariat = make_user(room.network, Role.SECRETARIAT, email="jimu@example.jp")
    login(client, secretariat)
    lines = [
        "団体名,氏名,ふりがな,職種,年代,メールアドレス,加入日",
        f"{room.orgs[1].name},新人 一郎,しんじん いちろう,外勤,20代,,2025/4/1",
        f"{room.orgs[1].name},新人 二郎,しんじん じろう,内勤,30代,,2025/4/1",
    ]
    draft_id, page = uploaded(client, room.network, csv_file(lines, "utf-8"))
    assert confirm(client, room.network, draft_id, page).status_code == 302
    assert stale(room.network)
    refresh_and_compare(room, other)
    assert stored_counts(room.network.id, room.course.id)["members"] == 7

    # Time alone: a certificate nearing its end, then the day after it.
    held = db.session.scalar(select(Certificate).where(Certificate.member_id == room.members[4].id))
    held.valid_until = today_jst() + timedelta(days=10)
    db.session.commit()
    refresh_and_compare(room, other)
    assert stored_counts(room.network.id, room.course.id)["expiring"] >= 1
    later = today_jst() + timedelta(days=11)
    monkeypatch.setattr(summaries, "today_jst", lambda: later)
    due = summaries.refresh_due(db.session)
    assert due.done == 2  # both networks: a new day, nothing written
    refresh_and_compare(room, other, today=later)
    assert stored_counts(room.network.id, room.course.id)["expiring"] == 0


def _all_keys(room) -> set[str]:
    from trainer.quizzes.models import QuizBank, QuizQuestion

    bank = db.session.scalar(select(QuizBank).where(QuizBank.slug == room.course.post_quiz))
    ids = bank.question_ids
    return set(db.session.scalars(select(QuizQuestion.key).where(QuizQuestion.id.in_(ids))))


def test_a_refresh_that_races_a_change_leaves_the_network_stale(
    app, make_network, make_org, make_member
):
    """The flag is cleared before counting: a change committed while counting sets it again."""
    from tests.quizzes.helpers import load_repository_content

    load_repository_content()
    network = make_network()
    org = make_org(network)
    make_member(network, org)
    courses = summaries.summary_courses(db.session)
    original = summaries.compute

    def compute_while_someone_joins(session, network_id, course, today):
        make_member(network, org)  # another transaction's commit, in the middle of the count
        return original(session, network_id, course, today)

    summaries.compute = compute_while_someone_joins  # type: ignore[assignment]
    try:
        summaries.refresh_network(db.session, network.id, courses[:1])
    finally:
        summaries.compute = original  # type: ignore[assignment]
    assert stale(network)
    summaries.refresh_due(db.session)
    assert not stale(network)


def test_bulk_statements_mark_only_the_networks_they_touch(
    app, make_network, make_org, make_member
):
    """The ORM bulk statements the app uses (submit, confirmation, import, merge) mark the
    networks of the rows they change, before they run; one that matches no row marks nothing;
    one whose rows cannot be told marks every network."""
    from sqlalchemy import bindparam, delete, insert, update

    from tests.quizzes.helpers import load_repository_content
    from trainer.accounts.models import Member
    from trainer.learning import service as learning
    from trainer.learning.models import ModuleRead
    from trainer.quizzes.models import Attempt

    load_repository_content()
    course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
    a, b = make_network(), make_network()
    a_member, b_member = make_member(a), make_member(b)
    take(a_member, course, "pre", right=set(), submit=False)  # an open attempt
    module = learning.active_modules(course)[0]
    learning.mark_read(
        db.session, b_member, learning.module_page(db.session, b_member, course.slug, module.slug)
    )

    def fresh() -> None:
        db.session.execute(delete(NetworkFiguresChange))
        db.session.commit()

    def marked() -> set[int]:
        db.session.commit()
        return set(db.session.scalars(select(NetworkFiguresChange.network_id)))

    fresh()
    db.session.execute(
        update(Attempt).where(Attempt.member_id == a_member.id).values(awaiting_confirmation=False)
    )
    assert marked() == {a.id}
    fresh()
    db.session.execute(update(Attempt).where(Attempt.member_id == b_member.id).values(score=1))
    assert marked() == set()  # b has no attempt: nothing changed
    db.session.execute(
        update(Attempt).where(Attempt.member_id == bindparam("who")).values(score=1),
        {"who": a_member.id},
    )
    assert marked() == {a.id}  # a WHERE with its own parameters
    fresh()
    db.session.execute(update(Member), [{"id": b_member.id, "job_type": "field"}])
    assert marked() == {b.id}
    fresh()
    row = {
        "network_id": a.id,
        "organisation_id": a_member.organisation_id,
        "name": "一括 登録",
        "name_key": "一括登録",
        "membership_start": today_jst(),
        "link_selector": "s" * 16,
        "link_verifier": "v" * 32,
    }
    db.session.execute(insert(Member), [row])
    assert marked() == {a.id}
    fresh()
    db.session.execute(delete(ModuleRead).where(ModuleRead.member_id == b_member.id))
    assert marked() == {b.id}
    fresh()
    db.session.execute(update(Member).values(gender="unknown"))  # no WHERE: every network
    assert marked() == {a.id, b.id}
