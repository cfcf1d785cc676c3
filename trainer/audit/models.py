from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.accounts.models import User
from trainer.extensions import db
from trainer.timeutil import utcnow


class AuditEvent(db.Model):
    """One sensitive action. Rows are only ever added, never changed or deleted."""

    __table_args__ = (Index("ix_audit_event_network_created", "network_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int | None] = mapped_column(ForeignKey("network.id"))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Kept as text too, so the log still says who it was if an account is renamed.
    actor_label: Mapped[str] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int | None]
    target_label: Mapped[str] = mapped_column(String(300), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)


ACTION_LABELS = {
    "network.create": "ネットワーク作成",
    "network.settings_update": "地域の窓口情報の変更",
    "organisation.create": "構成団体の登録",
    "organisation.update": "構成団体の変更",
    "member.create": "構成員の登録",
    "member.update": "構成員の変更",
    "member.end": "退会の記録",
    "member.reinstate": "退会の取り消し",
    "member.link_rotate": "個人用リンクの再発行",
    "member.link_view": "個人用リンクの表示",
    "role.grant": "役割の付与",
    "role.change": "役割の変更",
    "role.revoke": "役割の削除",
    "user.create": "職員アカウント作成",
    "user.password_reset_issue": "パスワード再設定リンク発行",
    "user.password_reset_use": "パスワード再設定",
    "user.password_change": "パスワード変更",
}
