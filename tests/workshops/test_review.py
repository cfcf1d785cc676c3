"""The secretariat confirms or merges participants that no member matched."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.workshops.helpers import answer_test, join, move_to, phone
from trainer.accounts.models import Member, Role
from trainer.audit.models import AuditEvent
from trainer.bulletins.models import Bulletin, BulletinMailStop, BulletinRead
from trainer.certificates.models import Certificate
from trainer.extensions import db
from trainer.quizzes.models import Attempt
from trainer.timeutil import utcnow
from trainer.workshops import review
from trainer.workshops.models import Participant


def member_owned_columns():
    """Every column with a foreign key to member, from the schema itself: (table, column)."""
    return [
        (table, fk.parent)
        for table in db.metadata.sorted_tables
        for fk in table.foreign_keys
        if fk.column.table.name == Member.__tablename__
    ]


def newcomer_passes(app, client, login, room, name="見守 はな子"):
    """Someone typed their name differently from the roster, and passed."""
    login(client, room.trainer)
    p = phone(app)
    join(p, room, org=room.orgs[0], name=name)
    move_to(client, room, "pre")
    answer_test(p, room, "pre", right=False)
    move_to(client, room, "post")
    answer_test(p, room, "post", right=True)
    return db.session.scalar(select(Member).where(Member.needs_review.is_(True)))


def test_the_list_shows_who_needs_review_with_candidates(app, client, login, room, make_user):
    entry = newcomer_passes(app, client, login, room)
    secretariat = make_user(room.network, Role.SECRETARIAT)
    login(client, secretariat)
    index = client.get(f"/n/{room.network.id}/workshops/").get_data(as_text=True)
    assert "本人確認がまだの研修会参加者が <strong>1人</strong> います" in index
    page = client.get(f"/n/{room.network.id}/workshops/review").get_data(as_text=True)
    assert "見守 はな子" in page and "見守り研修会" in page
    assert "見守 花子1（みまもり はなこ1）" in page  # a member of the same organisation
    login(client, room.trainer)
    assert client.get(f"/n/{room.network.id}/workshops/review").status_code == 403
    response = client.post(f"/n/{room.network.id}/workshops/review/{entry.id}/confirm")
    assert response.status_code == 403
    db.session.refresh(entry)
    assert entry.needs_review is True


def test_confirm_makes_a_new_member(app, client, login, room, make_user):
    entry = newcomer_passes(app, client, login, room)
    login(client, make_user(room.network, Role.SECRETARIAT))
    client.post(f"/n/{room.network.id}/workshops/review/{entry.id}/confirm")
    db.session.refresh(entry)
    assert entry.needs_review is False
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "member.confirm"))
    assert event.target_id == entry.id
    response = client.post(
        f"/n/{room.network.id}/workshops/review/{entry.id}/confirm", follow_redirects=True
    )
    assert "すでに確認済みです" in response.get_data(as_text=True)


def test_merge_moves_everything_to_the_member(app, client, login, room, make_user):
    entry_id = newcomer_passes(app, client, login, room).id
    花子 = room.members[0]
    login(client, make_user(room.network, Role.SECRETARIAT))
    response = client.post(
        f"/n/{room.network.id}/workshops/review/{entry_id}/merge",
        data={"into": 花子.id},
        follow_redirects=True,
    )
    assert "見守 花子1さんに統合しました" in response.get_data(as_text=True)
    assert db.session.scalar(select(Member).where(Member.id == entry_id)) is None
    attempts = db.session.scalars(select(Attempt)).all()
    assert len(attempts) == 2 and {a.member_id for a in attempts} == {花子.id}
    certificate = db.session.scalar(select(Certificate))
    assert certificate.member_id == 花子.id
    assert db.session.scalar(select(Participant.member_id)) == 花子.id
    # The certificate now verifies under the roster member's name.
    verify = client.get(f"/verify/{certificate.token}").get_data(as_text=True)
    assert "見守 花子1" in verify and "有効" in verify
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "member.merge"))
    assert event.details == {"merged": "見守 はな子", "attempts": 2, "certificates": 1}
    for table, column in member_owned_columns():
        left = db.session.scalar(select(func.count()).select_from(table).where(column == entry_id))
        assert left == 0, f"{table.name}.{column.name} still names the merged entry"


def test_a_merge_knows_every_table_that_belongs_to_a_member(app):
    """A table with a foreign key to member has rows a merge must carry over to the member (or
    the entry could not be deleted): a new one fails here until review.MERGE_MOVES says how."""
    owned = {table.name for table, _ in member_owned_columns()}
    assert owned, "the schema is loaded"
    assert owned == set(review.MERGE_MOVES)


def test_merges_that_would_clash_are_refused(app, client, login, room, make_user):
    entry = newcomer_passes(app, client, login, room)
    花子 = room.members[0]
    # 花子 herself also joined the same workshop from another phone.
    join(phone(app), room, org=room.orgs[0], name="見守 花子1")
    login(client, make_user(room.network, Role.SECRETARIAT))
    base = f"/n/{room.network.id}/workshops/review/{entry.id}/merge"
    response = client.post(base, data={"into": 花子.id}, follow_redirects=True)
    assert "同じ研修会に参加しているため統合できません" in response.get_data(as_text=True)
    for into in ("", "abc", str(entry.id)):
        response = client.post(base, data={"into": into}, follow_redirects=True)
        assert "統合先" in response.get_data(as_text=True), into
    assert db.session.get(Member, entry.id) is not None
    assert (
        db.session.scalar(
            select(func.count()).select_from(Attempt).where(Attempt.member_id == entry.id)
        )
        == 2
    )


def test_a_merge_keeps_one_open_of_each_bulletin_and_the_members_mail_choice(
    app, client, login, room, make_user
):
    entry_id = newcomer_passes(app, client, login, room).id
    花子 = room.members[0]
    seen_by_both, seen_by_entry = (
        Bulletin(network_id=room.network.id, title=t, published_at=utcnow()) for t in "AB"
    )
    db.session.add_all([seen_by_both, seen_by_entry])
    db.session.flush()
    db.session.add_all(
        [
            BulletinRead(bulletin_id=seen_by_both.id, member_id=花子.id),
            BulletinRead(bulletin_id=seen_by_both.id, member_id=entry_id),
            BulletinRead(bulletin_id=seen_by_entry.id, member_id=entry_id),
            BulletinMailStop(member_id=entry_id),
        ]
    )
    db.session.commit()
    login(client, make_user(room.network, Role.SECRETARIAT))
    client.post(f"/n/{room.network.id}/workshops/review/{entry_id}/merge", data={"into": 花子.id})
    reads = db.session.execute(select(BulletinRead.bulletin_id, BulletinRead.member_id)).all()
    assert sorted(reads) == sorted([(seen_by_both.id, 花子.id), (seen_by_entry.id, 花子.id)])
    # 花子 had never chosen: the entry's stop (made from the entry's mails) becomes hers.
    assert db.session.scalars(select(BulletinMailStop.member_id)).all() == [花子.id]
