"""Accounts: the network (協議会), its organisations and members, and staff users with roles."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import Date, DateTime, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.audit.models import register_value_labels
from trainer.content.placeholders import NAMES
from trainer.extensions import Model
from trainer.timeutil import today_jst, utcnow


class Role(enum.StrEnum):
    """A staff user's role in one network. The secretariat can do everything a trainer can."""

    SECRETARIAT = "secretariat"
    TRAINER = "trainer"
    # Reads and handles concern reports (気づき報告), granted by the secretariat to e.g. a
    # consumer-centre counsellor; sees no roster, no results and no trainer pages.
    CASE_WORKER = "case_worker"

    @property
    def label(self) -> str:
        return {"secretariat": "事務局", "trainer": "講師", "case_worker": "相談員"}[self.value]

    def includes(self, other: Role) -> bool:
        return self is Role.SECRETARIAT or self is other


class OrganisationKind(enum.StrEnum):
    CONSUMER_CENTRE = "consumer_centre"
    COMMUNITY_SUPPORT = "community_support"
    POLICE = "police"
    SOCIAL_WELFARE = "social_welfare"
    WELFARE_COMMISSIONER = "welfare_commissioner"
    CARE_MANAGEMENT = "care_management"
    FINANCIAL = "financial"
    COOP_DELIVERY = "coop_delivery"
    POST_OFFICE = "post_office"
    INSURANCE = "insurance"
    CONSUMER_GROUP = "consumer_group"
    LEGAL = "legal"
    MUNICIPALITY = "municipality"
    OTHER = "other"

    @property
    def label(self) -> str:
        return ORGANISATION_KIND_LABELS[self]


ORGANISATION_KIND_LABELS: dict[OrganisationKind, str] = {
    OrganisationKind.CONSUMER_CENTRE: "消費生活センター",
    OrganisationKind.COMMUNITY_SUPPORT: "地域包括支援センター",
    OrganisationKind.POLICE: "警察署",
    OrganisationKind.SOCIAL_WELFARE: "社会福祉協議会",
    OrganisationKind.WELFARE_COMMISSIONER: "民生委員・児童委員",
    OrganisationKind.CARE_MANAGEMENT: "居宅介護支援事業所",
    OrganisationKind.FINANCIAL: "金融機関",
    OrganisationKind.COOP_DELIVERY: "生協・宅配事業者",
    OrganisationKind.POST_OFFICE: "郵便局",
    OrganisationKind.INSURANCE: "保険会社",
    OrganisationKind.CONSUMER_GROUP: "消費者団体",
    OrganisationKind.LEGAL: "弁護士会・司法書士会",
    OrganisationKind.MUNICIPALITY: "市区町村（行政）",
    OrganisationKind.OTHER: "その他",
}


class JobType(enum.StrEnum):
    """A member's job type, as the attributes question asks it, with choices for members who
    are not company staff as well."""

    FIELD = "field"
    COUNTER = "counter"
    SUPPORT = "support"
    OTHER = "other"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return {
            "field": "外勤（訪問・営業・配達）",
            "counter": "内勤（窓口・事務）",
            "support": "相談・支援（相談員・ケアマネジャー等）",
            "other": "その他",
            "unknown": "無回答",
        }[self.value]


class AgeBand(enum.StrEnum):
    """A member's age band, as the attributes question asks it."""

    UNDER_30 = "u30"
    THIRTIES = "30s"
    FORTIES = "40s"
    FIFTIES = "50s"
    SIXTY_PLUS = "60plus"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return {
            "u30": "20代以下",
            "30s": "30代",
            "40s": "40代",
            "50s": "50代",
            "60plus": "60代以上",
            "unknown": "無回答",
        }[self.value]


class Gender(enum.StrEnum):
    """A member's gender, as the attributes question asks it."""

    MALE = "male"
    FEMALE = "female"
    OTHER = "other"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return {
            "male": "男性",
            "female": "女性",
            "other": "その他・回答しない",
            "unknown": "無回答",
        }[self.value]


# The audit log shows the codes these features store in an event's details by their labels.
register_value_labels("role", {role.value: role.label for role in Role})
register_value_labels("previous", {role.value: role.label for role in Role})
register_value_labels("job_type", {job.value: job.label for job in JobType})
register_value_labels("age_band", {band.value: band.label for band in AgeBand})
register_value_labels("kind", {kind.value: kind.label for kind in OrganisationKind})


class Network(Model):
    """A 見守りネットワーク (消費者安全確保地域協議会). Everything else belongs to one."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prefecture: Mapped[str] = mapped_column(String(20))
    municipality: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Local facts that course text refers to through placeholders ({{ consumer_centre_phone }}).
    # Empty means "not set yet": staff see 「未設定」, learners a neutral phrase.
    consumer_centre_name: Mapped[str] = mapped_column(String(200), default="")
    consumer_centre_address: Mapped[str] = mapped_column(String(300), default="")
    consumer_centre_phone: Mapped[str] = mapped_column(String(100), default="")
    consumer_centre_hours: Mapped[str] = mapped_column(String(200), default="")
    police_name: Mapped[str] = mapped_column(String(200), default="")
    police_phone: Mapped[str] = mapped_column(String(100), default="")
    police_address: Mapped[str] = mapped_column(String(300), default="")
    community_support_name: Mapped[str] = mapped_column(String(200), default="")
    community_support_phone: Mapped[str] = mapped_column(String(100), default="")
    community_support_address: Mapped[str] = mapped_column(String(300), default="")
    # What makes a badge and a certificate look official (set on the same settings page): the
    # secretariat's phone on the badge front, so that a resident can call to confirm, and the
    # issuer's title (e.g. 「みどり市見守りネットワーク協議会 会長」) and name on the certificate.
    # Empty means "not set": the badge has no phone line, the certificate names the network.
    secretariat_phone: Mapped[str] = mapped_column(String(100), default="", server_default="")
    certificate_issuer_title: Mapped[str] = mapped_column(
        String(200), default="", server_default=""
    )
    certificate_issuer_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    # The last certificate serial issued in this network. Incremented in the issuing transaction
    # (UPDATE … RETURNING), which serialises concurrent issues on the network's row: serials are
    # consecutive, and a rolled-back issue gives its number back.
    last_certificate_serial: Mapped[int] = mapped_column(default=0, server_default="0")
    # The last concern report number (受付番号) given in this network, allocated as serials are.
    last_concern_number: Mapped[int] = mapped_column(default=0, server_default="0")
    # Where a new concern report is announced by e-mail (the secretariat's shared address);
    # empty: no mail, the network home page shows it.
    concern_notify_email: Mapped[str] = mapped_column(String(254), default="", server_default="")

    organisations: Mapped[list[Organisation]] = relationship(back_populates="network")

    def local_facts(self) -> dict[str, str]:
        """Values for every course placeholder (see trainer/content/placeholders.py)."""
        values = {name: getattr(self, name, "") or "" for name in NAMES}
        values["network_name"] = self.name
        return values


class Organisation(Model):
    """A 構成団体: a body that is a member of the network."""

    __table_args__ = (UniqueConstraint("network_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    network: Mapped[Network] = relationship(back_populates="organisations")

    @property
    def kind_label(self) -> str:
        return OrganisationKind(self.kind).label


class Member(UserMixin, Model):
    """A 構成員: a person who learns. Signs in with a personal link, never a password.

    The link is selector + verifier: the selector (indexed) finds the row, the verifier is
    compared in constant time. Both are kept because the secretariat must be able to show the
    link again as a QR code to hand over; rotating replaces both and signs out old sessions.
    """

    __table_args__ = (
        Index("ix_member_network_name_key", "network_id", "name_key"),
        Index("ix_member_network_kana_key", "network_id", "kana_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kana: Mapped[str] = mapped_column(String(100), default="")
    name_key: Mapped[str] = mapped_column(String(100))
    kana_key: Mapped[str] = mapped_column(String(100), default="")
    job_type: Mapped[str] = mapped_column(String(20), default=JobType.UNKNOWN.value)
    age_band: Mapped[str] = mapped_column(String(20), default=AgeBand.UNKNOWN.value)
    gender: Mapped[str] = mapped_column(String(20), default=Gender.UNKNOWN.value)
    # When the learner answered the attributes question (asked once, before the first quiz).
    attributes_answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    email: Mapped[str | None] = mapped_column(String(254))
    membership_start: Mapped[date] = mapped_column(Date)
    membership_end: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str] = mapped_column(Text, default="")
    # Created from what a workshop participant typed, because no member matched: the
    # secretariat confirms them as a new member or merges them into an existing one.
    needs_review: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The secretariat's review found this entry is not a member (it stays, with the reason, so
    # that nothing is lost; needs_review stays True, so it is never on the roster).
    rejected_at: Mapped[datetime | None] = mapped_column(DateTime)
    rejected_reason: Mapped[str] = mapped_column(Text, default="")
    link_selector: Mapped[str] = mapped_column(String(32), unique=True)
    link_verifier: Mapped[str] = mapped_column(String(64))
    link_rotated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship()
    network: Mapped[Network] = relationship()

    @property
    def link_token(self) -> str:
        return f"{self.link_selector}{self.link_verifier}"

    def is_active_on(self, day: date) -> bool:
        """Active from the start date until the day before the end date, once on the roster: an
        entry made from what a workshop participant typed is not a member until the secretariat
        confirms it (needs_review)."""
        if self.needs_review:
            return False
        started = self.membership_start <= day
        return started and (self.membership_end is None or day < self.membership_end)

    @property
    def is_member_now(self) -> bool:
        return self.is_active_on(today_jst())

    def has_ended_on(self, day: date) -> bool:
        """From the end date on (the first day no longer a member)."""
        return self.membership_end is not None and day >= self.membership_end

    @property
    def membership_ended(self) -> bool:
        """Ended as of today (JST): the learner pages, new attempts, answers and certificates are
        closed to them. Only the end counts, not is_member_now: a member whose start date is
        still ahead (開始前) may already learn. Undoing the end reopens everything at once."""
        return self.has_ended_on(today_jst())

    @property
    def status_label(self) -> str:
        if self.needs_review:
            return "確認しない" if self.rejected_at else "確認待ち"
        today = today_jst()
        if self.membership_end is not None and today >= self.membership_end:
            return "退会"
        if today < self.membership_start:
            return "開始前"
        return "在籍"

    @property
    def job_type_label(self) -> str:
        return JobType(self.job_type).label

    @property
    def age_band_label(self) -> str:
        return AgeBand(self.age_band).label

    # Flask-Login: the id changes when the link is rotated, so old sessions stop working.
    def get_id(self) -> str:
        return f"m:{self.id}:{self.link_selector}"

    @property
    def is_staff(self) -> bool:
        return False


class User(UserMixin, Model):
    """A staff account (secretariat, trainer, platform admin) that signs in with a password."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_platform_admin: Mapped[bool] = mapped_column(default=False)
    disabled: Mapped[bool] = mapped_column(default=False)
    # Bumped on password change: it is part of the session id, so other sessions end.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)

    roles: Mapped[list[NetworkRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def get_id(self) -> str:
        return f"u:{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return not self.disabled

    @property
    def is_staff(self) -> bool:
        return True

    def role_in(self, network_id: int) -> Role | None:
        for role in self.roles:
            if role.network_id == network_id:
                return Role(role.role)
        return None


class NetworkRole(Model):
    """One user's role in one network: roles never carry over between networks."""

    __table_args__ = (UniqueConstraint("user_id", "network_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="roles")
    network: Mapped[Network] = relationship()

    @property
    def role_label(self) -> str:
        return Role(self.role).label


class PasswordResetToken(Model):
    """A one-time link to set a password, handed over in person (there is no mail server).

    Only a SHA-256 of the token is stored: the link is shown once, to the person who issued it.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class StaffInvitation(Model):
    """An offer of a role in a network, which only its holder can accept (see invitations.py).

    A role is never granted from the web directly: the link /invite/<token> is handed over in
    person, and the role exists only once the invited account has accepted through it. Only a
    SHA-256 of the token is stored; the link is shown once, to the person who invited.
    name_given is the name the inviter typed: the network sees that, never the account's own
    name, until the account has joined it.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("network.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name_given: Mapped[str] = mapped_column(String(100))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Set when the inviter cancels it, a newer invitation replaces it, or the invitee declines.
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    network: Mapped[Network] = relationship()

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    @property
    def is_open(self) -> bool:
        """Neither accepted nor cancelled (it may have expired: the inviter can make a new link)."""
        return self.accepted_at is None and self.cancelled_at is None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= utcnow()
