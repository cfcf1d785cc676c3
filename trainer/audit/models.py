"""The audit log: one row per sensitive action, with its details in Japanese for the log page.

Every feature records its events here, so the log depends on none of them: an event names its
actor and target by id and label, and a feature that stores its own codes in the details (a
role, a job type) registers their labels (register_value_labels) when it is imported.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.content.placeholders import FACTS_BY_NAME
from trainer.extensions import Model
from trainer.timeutil import utcnow

if TYPE_CHECKING:
    from trainer.accounts.models import User


class AuditEvent(Model):
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

    actor: Mapped[User | None] = relationship("User")

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)

    def detail_lines(self) -> list[str]:
        """The details in Japanese, one line each (「年代: 50代 → 60代以上」)."""
        lines = []
        for key, value in (self.details or {}).items():
            if key == "changes" and isinstance(value, dict):
                for field, (old, new) in value.items():
                    lines.append(f"{_label(field)}: {_shown(field, old)} → {_shown(field, new)}")
            else:
                lines.append(f"{_label(key)}: {_shown(key, value)}")
        return lines


ACTION_LABELS = {
    "database.backup": "データベースのバックアップ",
    "data.clean_text": "保存済みの文字の整理",
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
    "area_role.grant": "都道府県・全国の閲覧権限の付与",
    "area_role.revoke": "都道府県・全国の閲覧権限の取り消し",
    "user.create": "職員アカウント作成",
    "user.password_reset_issue": "パスワード再設定リンク発行",
    "user.password_reset_use": "パスワード再設定",
    "user.password_change": "パスワード変更",
    "user.password_set": "招待リンクからのパスワード設定",
    "invitation.create": "職員の招待",
    "invitation.reissue": "招待リンクの作り直し",
    "invitation.cancel": "招待の取り消し",
    "invitation.accept": "招待の承諾",
    "invitation.decline": "招待の辞退",
    "certificate.revoke": "修了証の取り消し",
    "certificate.badges_print": "構成員証の印刷",
    "certificate.renew": "修了証の更新（更新研修）",
    "refresher.link_sheet": "更新研修の個人用QRシートの印刷",
    "workshop.create": "研修会の作成",
    "workshop.phase": "研修会の進行",
    "workshop.export": "研修会の結果の書き出し",
    "workshop.projector_link": "プロジェクター用リンクの作り直し",
    "member.confirm": "研修会参加者の構成員確認",
    "member.merge": "研修会参加者の統合",
    "roster.import": "名簿の取り込み",
    "member.link_sheet": "個人用リンクQRシートの印刷",
    "export.members": "構成員一覧の書き出し",
    "export.certificates": "修了証一覧の書き出し",
    "export.answers": "回答の書き出し",
    "concern.view": "気づき報告の閲覧",
    "concern.status": "気づき報告の状況の変更",
    "concern.instruct": "気づき報告への指示",
    "concern.connect": "気づき報告のつなぎ先・結果の記録",
    "concern.purge": "気づき報告の個人情報の削除",
    "concern.export": "気づき報告の集計の書き出し",
    "concern.key_rotate": "報告用QRコードの作り直し",
    "mail.retry": "メールの再送",
    "member.link_mail": "個人用リンクのメール送信",
    "bulletin.create": "お知らせの下書き作成",
    "bulletin.edit": "お知らせの変更",
    "bulletin.schedule": "お知らせの公開予約",
    "bulletin.schedule_cancel": "お知らせの公開予約の取り消し",
    "bulletin.publish": "お知らせの公開",
    "bulletin.withdraw_public": "お知らせを一般公開から外す",
}


FIELD_LABELS = {
    "mail_kind": "メールの内容",
    "tries": "それまでに送信を試した回数",
    "size": "大きさ（バイト）",
    "signing_key": "署名鍵のコピー",
    "end_date": "退会日",
    "reason": "理由",
    "removed_end_date": "取り消した退会日",
    "removed_reason": "取り消した理由",
    "role": "役割",
    "previous": "以前の役割",
    "area": "閲覧できる範囲",
    "previous_area": "以前の閲覧範囲",
    "platform_admin": "管理者",
    "name": "名称・氏名",
    "kana": "ふりがな",
    "kind": "種別",
    "organisation_id": "構成団体（ID）",
    "job_type": "職種",
    "age_band": "年代",
    "email": "メールアドレス",
    "concern_notify_email": "気づき報告の通知先メールアドレス",
    "membership_start": "加入日",
    "serial": "修了証番号",
    "renewed_from": "更新前の修了証番号",
    "valid_until": "有効期限",
    "course": "研修",
    "count": "枚数",
    "held_on": "開催日",
    "from": "変更前",
    "to": "変更後",
    "format": "形式",
    "rows": "行数",
    "merged": "統合した参加者",
    "attempts": "移したテスト",
    "certificates": "移した修了証",
    "filename": "ファイル名",
    "created": "新規",
    "updated": "更新",
    "ended": "退会",
    "organisations": "構成団体の登録",
    "unchanged": "変更なし",
    "rejected": "取り込めない行",
    "organisation": "構成団体",
    "status": "状況",
    "submitted_from": "提出日（から）",
    "submitted_to": "提出日（まで）",
    "number": "受付番号",
    "concern_status": "状況",
    "urgency": "緊急度",
    "consent": "本人の同意",
    "connected_to": "つないだ先",
    "template": "指示の種類",
    "reports": "件数",
    "period": "期間",
    "title": "題名",
    "public": "一般公開",
    "bulletin_kind": "お知らせの種類",
    "body_changed": "本文の変更",
    "audience_changed": "送る相手の変更",
    "attachment": "添付ファイル",
    "publish_at": "公開日時",
    "mails": "送ったメール（通）",
    "scheduled": "予約による公開",
}


# For each details field that holds a feature's code, the code's Japanese label (see
# register_value_labels).
_VALUE_LABELS: dict[str, dict[str, str]] = {}


def register_value_labels(field: str, labels: Mapping[str, str]) -> None:
    """Show a code stored in the details under field (a role, a job type) as its label."""
    _VALUE_LABELS[field] = dict(labels)


def _shown(field: str, value: object) -> str:
    """Codes as their Japanese labels; empty values as 「（空欄）」."""
    labels = _VALUE_LABELS.get(field, {})
    if isinstance(value, str) and value in labels:
        return labels[value]
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if value in (None, "", "None"):
        return "（空欄）"
    return str(value)


def _label(field: str) -> str:
    if field in FIELD_LABELS:
        return FIELD_LABELS[field]
    return FACTS_BY_NAME[field].label if field in FACTS_BY_NAME else field
