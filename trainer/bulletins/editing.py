"""Writing a bulletin: a draft, its changes, its attachment.

A published bulletin is never changed: its mails went out with the text it had, and members may
have printed it, so a silent edit would make the page disagree with what they received. A
correction is a new bulletin (注意喚起 or 見守り通信) that says what was wrong. Drafts and
scheduled bulletins can be changed freely; every change is in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from trainer.accounts.models import User
from trainer.audit import service as audit
from trainer.audit.models import register_value_labels
from trainer.bulletins import attachments, audience
from trainer.bulletins.attachments import Upload
from trainer.bulletins.models import Bulletin, BulletinKind
from trainer.database import Session
from trainer.errors import Conflict, DomainError, NotFound
from trainer.text import clean_multiline, clean_text

MAX_TITLE = 200
MAX_BODY = 20_000
PUBLISHED_IS_FINAL = (
    "公開したお知らせは変更できません（メールで届いた内容と食い違わないようにするためです）。"
    "訂正は、新しいお知らせとして出してください。"
)

register_value_labels("bulletin_kind", {kind.value: kind.label for kind in BulletinKind})


@dataclass(frozen=True)
class BulletinInput:
    kind: str
    title: str
    body: str
    audience: audience.Audience = field(default_factory=audience.Audience)
    public: bool = False
    attachment: Upload | None = None
    remove_attachment: bool = False


def get_bulletin(session: Session, network_id: int, bulletin_id: int) -> Bulletin:
    bulletin = session.scalar(
        select(Bulletin).where(Bulletin.id == bulletin_id, Bulletin.network_id == network_id)
    )
    if bulletin is None:
        raise NotFound("お知らせが見つかりません。")
    return bulletin


def _values(session: Session, network_id: int, data: BulletinInput) -> dict[str, Any]:
    if data.kind not in {kind.value for kind in BulletinKind}:
        raise DomainError("種類を選んでください。", field="kind")
    title = clean_text(data.title)
    if not title:
        raise DomainError("題名を入力してください。", field="title")
    if len(title) > MAX_TITLE:
        raise DomainError(f"題名は{MAX_TITLE}文字以内で入力してください。", field="title")
    body = clean_multiline(data.body)
    if not body.strip():
        raise DomainError("本文を入力してください。", field="body")
    if len(body) > MAX_BODY:
        raise DomainError(f"本文は{MAX_BODY:,}文字以内で入力してください。", field="body")
    kinds, ids = audience.validated(session, network_id, data.audience)
    return {
        "kind": data.kind,
        "title": title,
        "body": body,
        "audience_org_kinds": kinds,
        "audience_organisation_ids": ids,
        "public": bool(data.public),
    }


def _apply_attachment(bulletin: Bulletin, data: BulletinInput) -> str:
    """Set or remove the attachment; returns what happened ('' for nothing)."""
    if data.attachment is not None:
        checked = attachments.checked(data.attachment)
        name, content_type, content = checked
        bulletin.attachment_name, bulletin.attachment_type = name, content_type
        bulletin.attachment_data = content
        return name
    if data.remove_attachment and bulletin.attachment_name:
        bulletin.attachment_name, bulletin.attachment_type = "", ""
        bulletin.attachment_data = None
        return "削除"
    return ""


def create_draft(
    session: Session, *, network_id: int, data: BulletinInput, actor: User | None
) -> Bulletin:
    values = _values(session, network_id, data)
    if data.attachment is not None:
        attachments.checked(data.attachment)  # refused before anything is added
    bulletin = Bulletin(network_id=network_id, created_by_id=actor.id if actor else None, **values)
    _apply_attachment(bulletin, data)
    session.add(bulletin)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="bulletin.create",
        target_type="bulletin",
        target_id=bulletin.id,
        target_label=bulletin.title,
        network_id=network_id,
        details={"bulletin_kind": bulletin.kind},
    )
    session.commit()
    return bulletin


def ensure_editable(bulletin: Bulletin) -> None:
    if bulletin.published_at is not None:
        raise Conflict(PUBLISHED_IS_FINAL)


def update_bulletin(
    session: Session, *, bulletin: Bulletin, data: BulletinInput, actor: User | None
) -> bool:
    """Change a draft or a scheduled bulletin; False when nothing changed."""
    ensure_editable(bulletin)
    values = _values(session, bulletin.network_id, data)
    if data.attachment is not None:
        attachments.checked(data.attachment)
    changes: dict[str, list[Any]] = {}
    for name in ("title", "public"):
        if getattr(bulletin, name) != values[name]:
            changes[name] = [getattr(bulletin, name), values[name]]
    if bulletin.kind != values["kind"]:
        changes["bulletin_kind"] = [bulletin.kind, values["kind"]]
    details: dict[str, Any] = {}
    if bulletin.body != values["body"]:
        details["body_changed"] = True
    if (bulletin.audience_org_kinds, bulletin.audience_organisation_ids) != (
        values["audience_org_kinds"],
        values["audience_organisation_ids"],
    ):
        details["audience_changed"] = True
    for name, value in values.items():
        setattr(bulletin, name, value)
    attachment = _apply_attachment(bulletin, data)
    if attachment:
        details["attachment"] = attachment
    if not changes and not details:
        session.rollback()
        return False
    audit.record(
        session,
        actor=actor,
        action="bulletin.edit",
        target_type="bulletin",
        target_id=bulletin.id,
        target_label=bulletin.title,
        network_id=bulletin.network_id,
        details={"changes": changes, **details} if changes else details,
    )
    session.commit()
    return True
