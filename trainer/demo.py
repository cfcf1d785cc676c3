"""A demo network: a fictional city's council with six organisations and about thirty members.

Loading is idempotent: if the demo network exists, nothing changes and the saved logins are shown
again. Demo passwords are random per installation and kept in instance/demo-logins.txt (mode
0600), because anything printed only once is lost the first time a terminal is closed.
"""

from __future__ import annotations

import os
import re
import secrets
from datetime import date, timedelta
from pathlib import Path

from flask import url_for
from sqlalchemy import select

from trainer.accounts import passwords, roster, users
from trainer.accounts.models import (
    AgeBand,
    JobType,
    Member,
    Network,
    OrganisationKind,
    Role,
)
from trainer.bulletins import editing as bulletin_editing
from trainer.bulletins import publishing as bulletin_publishing
from trainer.bulletins import reading as bulletin_reading
from trainer.concerns import handling
from trainer.concerns.submission import ReportInput, submit_report
from trainer.database import Session
from trainer.errors import Conflict
from trainer.qr import absolute_url
from trainer.timeutil import utcnow

DEMO_NETWORK_NAME = "みどり市消費者安全確保地域協議会（みどり市見守りネットワーク）"
LOGINS_FILE = "demo-logins.txt"

ORGANISATIONS: list[tuple[OrganisationKind, str]] = [
    (OrganisationKind.CONSUMER_CENTRE, "みどり市消費生活センター"),
    (OrganisationKind.COMMUNITY_SUPPORT, "みどり市地域包括支援センター"),
    (OrganisationKind.POLICE, "みどり警察署"),
    (OrganisationKind.CARE_MANAGEMENT, "ケアプランセンターひだまり"),
    (OrganisationKind.FINANCIAL, "みどり信用金庫 本店営業部"),
    (OrganisationKind.COOP_DELIVERY, "生活協同組合コープみどり 宅配センター"),
]

F, C, S, OTH = JobType.FIELD, JobType.COUNTER, JobType.SUPPORT, JobType.OTHER
U30, A30, A40, A50, A60 = (
    AgeBand.UNDER_30,
    AgeBand.THIRTIES,
    AgeBand.FORTIES,
    AgeBand.FIFTIES,
    AgeBand.SIXTY_PLUS,
)

# (organisation index, name, kana, job type, age band, start, end)
MEMBERS: list[tuple[int, str, str, JobType, AgeBand, date, date | None]] = [
    (0, "佐藤 恵子", "さとう けいこ", S, A50, date(2024, 4, 1), None),
    (0, "高橋 真理", "たかはし まり", S, A40, date(2024, 4, 1), None),
    (0, "伊藤 和夫", "いとう かずお", C, A60, date(2025, 4, 1), None),
    (1, "渡辺 由美", "わたなべ ゆみ", S, A40, date(2024, 4, 1), None),
    (1, "山本 直樹", "やまもと なおき", S, A30, date(2024, 10, 1), None),
    (1, "中村 早苗", "なかむら さなえ", S, A50, date(2025, 4, 1), None),
    (2, "小林 健一", "こばやし けんいち", F, A40, date(2024, 4, 1), None),
    (2, "加藤 翔太", "かとう しょうた", F, A30, date(2025, 4, 1), None),
    (2, "吉田 浩二", "よしだ こうじ", C, A50, date(2024, 4, 1), date(2026, 3, 31)),
    (3, "山田 幸子", "やまだ さちこ", S, A50, date(2024, 4, 1), None),
    (3, "佐々木 典子", "ささき のりこ", S, A60, date(2024, 4, 1), None),
    (3, "山口 美穂", "やまぐち みほ", S, A40, date(2024, 6, 1), None),
    (3, "松本 誠", "まつもと まこと", S, A30, date(2025, 1, 6), None),
    (3, "井上 久美子", "いのうえ くみこ", S, A60, date(2024, 4, 1), None),
    (3, "木村 智子", "きむら ともこ", S, A50, date(2025, 7, 1), None),
    (4, "林 大輔", "はやし だいすけ", C, A30, date(2024, 4, 1), None),
    (4, "清水 陽子", "しみず ようこ", C, A40, date(2024, 4, 1), None),
    (4, "山崎 剛", "やまざき つよし", F, A50, date(2024, 4, 1), None),
    (4, "森 あゆみ", "もり あゆみ", C, U30, date(2025, 4, 1), None),
    (4, "池田 正人", "いけだ まさと", F, A60, date(2024, 4, 1), date(2025, 12, 31)),
    (4, "橋本 香織", "はしもと かおり", C, A40, date(2025, 10, 1), None),
    (5, "阿部 隆", "あべ たかし", F, A50, date(2024, 4, 1), None),
    (5, "石川 優子", "いしかわ ゆうこ", F, A40, date(2024, 4, 1), None),
    (5, "前田 拓也", "まえだ たくや", F, U30, date(2025, 4, 1), None),
    (5, "藤田 栄治", "ふじた えいじ", F, A60, date(2024, 4, 1), None),
    (5, "小川 里美", "おがわ さとみ", C, A30, date(2024, 9, 1), None),
    (5, "岡田 稔", "おかだ みのる", F, A60, date(2025, 4, 1), None),
    (5, "後藤 千尋", "ごとう ちひろ", OTH, A40, date(2025, 4, 1), None),
    (1, "長谷川 勉", "はせがわ つとむ", S, A60, date(2025, 10, 1), None),
    (3, "村上 瞳", "むらかみ ひとみ", S, A30, date(2026, 4, 1), None),
]

DEMO_LOCAL_FACTS = {
    "consumer_centre_name": "みどり市消費生活センター",
    "consumer_centre_address": "みどり市中央1-1-1 みどり市役所 2階",
    "consumer_centre_phone": "000-000-0000（デモ用の架空の番号）",
    "consumer_centre_hours": "平日 9:00〜16:30（土日祝日・年末年始は休み）",
    "police_name": "みどり警察署",
    "police_phone": "000-000-0110（デモ用の架空の番号）",
    "police_address": "みどり市本町2-3-4",
    "community_support_name": "みどり市地域包括支援センター",
    "community_support_address": "みどり市中央1-5-6 みどり市福祉センター 1階",
}

STAFF = [
    ("admin@example.jp", "管理者 太郎", "admin"),
    ("jimukyoku@example.jp", "事務局 花子", Role.SECRETARIAT),
    ("koushi@example.jp", "講師 一郎", Role.TRAINER),
]


def demo_network(session: Session) -> Network | None:
    return session.scalar(select(Network).where(Network.name == DEMO_NETWORK_NAME))


def load(session: Session, instance_path: str) -> tuple[bool, str]:
    """Create the demo network unless it exists. Returns (created, text with the logins)."""
    logins_path = Path(instance_path) / LOGINS_FILE
    network = demo_network(session)
    if network is not None:
        return False, _saved_logins_text(session, network, logins_path)
    _check_addresses_free(session)
    logins = {email: "demo-" + secrets.token_urlsafe(9) for email, _, _ in STAFF}
    network = _create_network_and_staff(session, logins)
    _create_roster(session, network)
    _create_concern_reports(session, network)
    _create_bulletins(session, network)
    _save_logins(logins_path, logins)
    return True, _logins_text(session, network, logins)


def _saved_logins_text(session: Session, network: Network, logins_path: Path) -> str:
    if not logins_path.exists():
        return (
            "（ログイン情報のファイルがありません。"
            "`trainer user reset-link --email ...` で再設定できます。）"
        )
    saved = dict(re.findall(r"^(\S+@\S+)\t(\S+)$", logins_path.read_text(), re.MULTILINE))
    return _logins_text(session, network, saved)


def _check_addresses_free(session: Session) -> None:
    """Refuse before creating anything: half a demo, or a real account's password replaced by a
    demo password, would both be worse than no demo."""
    taken = [email for email, _, _ in STAFF if users.user_by_email(session, email) is not None]
    if taken:
        raise Conflict(
            f"デモ用のメールアドレス（{'、'.join(taken)}）はすでに使われているため、"
            "デモを読み込めません。"
        )


def _create_network_and_staff(session: Session, logins: dict[str, str]) -> Network:
    """The admin, the network with its secretariat and a trainer, with the given passwords."""
    admin_email, admin_name, _ = STAFF[0]
    secretariat_email, secretariat_name, _ = STAFF[1]
    trainer_email, trainer_name, _ = STAFF[2]
    users.create_user(
        session,
        email=admin_email,
        name=admin_name,
        password=logins[admin_email],
        is_platform_admin=True,
    )
    created = users.operator_create_network(
        session,
        name=DEMO_NETWORK_NAME,
        prefecture="さくら県",
        municipality="みどり市",
        secretariat_email=secretariat_email,
        secretariat_name=secretariat_name,
    )
    network = created.network
    # Fictional windows for the fictional city; one left empty to show how unset facts look.
    for name, value in DEMO_LOCAL_FACTS.items():
        setattr(network, name, value)
    session.commit()
    # The secretariat gets a password here instead of the setup link, so the demo is ready to use.
    passwords.reset_password(
        session,
        token=passwords.issue_password_reset(session, user=created.secretariat, issuer=None),
        new_password=logins[secretariat_email],
    )
    trainer = users.create_user(
        session, email=trainer_email, name=trainer_name, password=logins[trainer_email]
    )
    users.operator_grant_role(session, user=trainer, network_id=network.id, role=Role.TRAINER)
    return network


def _create_roster(session: Session, network: Network) -> None:
    orgs = [
        roster.create_organisation(session, network_id=network.id, kind=kind, name=name, actor=None)
        for kind, name in ORGANISATIONS
    ]
    for org_index, name, kana, job, age, start, end in MEMBERS:
        member = roster.create_member(
            session,
            network_id=network.id,
            data=roster.MemberInput(
                organisation_id=orgs[org_index].id,
                name=name,
                kana=kana,
                job_type=job.value,
                age_band=age.value,
                membership_start=start,
            ),
            actor=None,
        )
        if end is not None:
            roster.end_membership(session, member=member, end_date=end, reason="異動", actor=None)


# Three reports, so that 気づき報告 shows each kind of case: an urgent one just in, one the
# secretariat has answered (waiting for the member's 了解しました), and one connected and closed.
DEMO_REPORTS: list[tuple[str, ReportInput, str]] = [
    (
        "山口 美穂",
        ReportInput(
            signs=("unfamiliar_traders", "costly_work"),
            noticed_on=date(2026, 11, 20),
            urgency="normal",
            consent="given",
            area="みどり町2丁目",
            details="訪問先の屋根に何度も足場が組まれている。ご本人は業者の名前を覚えていない。",
        ),
        "closed",
    ),
    (
        "山田 幸子",
        ReportInput(
            signs=("bills", "judgement"),
            noticed_on=date(2026, 11, 28),
            urgency="soon",
            consent="unconfirmed",
            consent_reason="ご本人が話の途中で疲れてしまい、確認できなかった",
            area="さくら台",
            details="健康食品の請求書が何通もたまっている。注文した覚えはないと言う。",
        ),
        "instructed",
    ),
    (
        "佐々木 典子",
        ReportInput(
            signs=("atm", "told_secret"),
            noticed_on=date(2026, 12, 1),
            urgency="now",
            consent="unconfirmed",
            consent_reason="ATMの前で電話中だったため",
            area="みどり駅前",
            details="携帯電話で話しながらATMを操作し、「だれにも言うなと言われた」と話していた。",
        ),
        "new",
    ),
]


def _create_concern_reports(session: Session, network: Network) -> None:
    secretariat = users.user_by_email(session, STAFF[1][0])
    assert secretariat is not None
    for name, data, stage in DEMO_REPORTS:
        member = session.scalar(
            select(Member).where(Member.network_id == network.id, Member.name == name)
        )
        assert member is not None
        report = submit_report(session, member=member, data=data, via="badge")
        if stage == "new":
            continue
        handling.instruct(
            session, report=report, template="recommend_centre", body="", actor=secretariat
        )
        if stage == "closed":
            handling.record_connection(
                session,
                report=report,
                connected_to="consumer_centre",
                outcome="センターの相談員が訪問し、不要な工事の契約を解約した。",
                actor=secretariat,
            )
            handling.close(session, report=report, actor=secretariat)


# Two published bulletins, so that お知らせ shows both kinds: a 注意喚起 (点検商法, to everyone,
# unread by all) and the month's 見守り通信 (read by a few, so the per-organisation counts show).
# The demo's members have no e-mail address: publishing them queues no mail.
DEMO_BULLETINS: list[tuple[str, str, str, int]] = [
    (
        "newsletter",
        "見守り通信 12月号：年末は訪問と電話が増えます",
        "## 今月のお願い\n\n"
        "年末は、大掃除や年金・税金の手続きを口実にした訪問や電話が増えます。"
        "訪問先やお店で、次のようなことに気づいたら、事務局へ知らせてください。\n\n"
        "- 家の前に、何度も工事の足場が組まれている\n"
        "- 見慣れない業者の名刺やチラシが、たくさんある\n"
        "- 携帯電話で話しながら、ATMを操作している\n\n"
        "## 相談先\n\n"
        "契約や請求のことで困っている方には、消費者ホットライン **188**（いやや）を伝えてください。"
        "最寄りの消費生活センターにつながります。\n",
        12,
    ),
    (
        "warning",
        "「屋根の無料点検」の訪問に注意してください（点検商法）",
        "市内で「近くで工事をしている。屋根が壊れているのが見えた」と訪ね、"
        "無料点検のあとに高額な修理を契約させる訪問が続いています。\n\n"
        "!!! 注意\n"
        "    その場で契約しないよう、声をかけてください。"
        "訪問販売の契約は、書面を受け取った日から8日間はクーリング・オフができます。\n\n"
        "気づいたときは、個人ページの「気づいたことを事務局へ知らせる」から知らせてください。"
        "いま危ない場合は、まず110番へ。\n",
        3,
    ),
]
DEMO_BULLETIN_READERS = ("佐藤 恵子", "渡辺 由美", "林 大輔", "阿部 隆")


def _create_bulletins(session: Session, network: Network) -> None:
    secretariat = users.user_by_email(session, STAFF[1][0])
    for kind, title, body, days_ago in DEMO_BULLETINS:
        bulletin = bulletin_editing.create_draft(
            session,
            network_id=network.id,
            data=bulletin_editing.BulletinInput(kind=kind, title=title, body=body, public=True),
            actor=secretariat,
        )
        bulletin_publishing.publish_now(
            session, bulletin=bulletin, actor=secretariat, now=utcnow() - timedelta(days=days_ago)
        )
        if kind != "newsletter":
            continue
        for name in DEMO_BULLETIN_READERS:
            member = session.scalar(
                select(Member).where(Member.network_id == network.id, Member.name == name)
            )
            if member is not None:
                bulletin_reading.record_open(session, bulletin, member)


def _save_logins(logins_path: Path, logins: dict[str, str]) -> None:
    """Only the passwords are kept: links are built anew from TRAINER_BASE_URL each time."""
    logins_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(logins_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("# デモのログイン情報（メールアドレス<TAB>パスワード）\n")
        fh.writelines(f"{email}\t{password}\n" for email, password in logins.items())


def _logins_text(session: Session, network: Network, logins: dict[str, str]) -> str:
    labels = {"admin": "管理者", Role.SECRETARIAT: "事務局", Role.TRAINER: "講師"}
    lines = ["=== デモのログイン情報 ===", f"ログイン画面: {absolute_url('/login')}"]
    for role in (Role.SECRETARIAT, Role.TRAINER, "admin"):
        email = next(e for e, _, r in STAFF if r == role)
        label = labels[role] + ":"
        lines.append(f"{label:<8}{email} / {logins.get(email, '（不明）')}")
    first_member = session.scalar(
        select(Member).where(Member.network_id == network.id).order_by(Member.id)
    )
    if first_member is not None:  # always, unless the demo's members were deleted since
        link = absolute_url(url_for("learning.personal_link", token=first_member.link_token))
        lines.append(f"受講者（{first_member.name}さん）の個人用リンク: {link}")
    return "\n".join(lines) + "\n"
