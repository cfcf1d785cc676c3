"""The network's local facts (its consumer centre, police station, 地域包括支援センター), and
what the printed badge and certificate carry: the secretariat's phone and the certificate's
issuer."""

from __future__ import annotations

import re

from sqlalchemy import String

from trainer.accounts.models import Network, User
from trainer.audit import service as audit
from trainer.content.placeholders import LOCAL_FACTS
from trainer.database import Session
from trainer.errors import DomainError
from trainer.text import clean_text

# The network's name and municipality are set when it is created; the rest here.
EDITABLE = tuple(f.name for f in LOCAL_FACTS if f.name not in {"network_name", "municipality"})
# Printed on the badge front and the certificate (not course placeholders: course text never
# shows them). Saved with the local facts, in the same audit event.
PRINTED = ("secretariat_phone", "certificate_issuer_title", "certificate_issuer_name")
EDITABLE += PRINTED
# Where a new concern report (気づき報告) is announced: the number and the urgency only, never
# the contents. Empty: no mail (the network home page shows new reports).
NOTIFY_EMAIL = "concern_notify_email"
EDITABLE += (NOTIFY_EMAIL,)
EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _length(name: str) -> int:
    column_type = Network.__table__.c[name].type
    if not isinstance(column_type, String) or column_type.length is None:
        raise TypeError(f"network.{name} is not text of a limited length")
    return column_type.length


MAX_LENGTH = {name: _length(name) for name in EDITABLE}


def update_local_facts(
    session: Session, *, network: Network, values: dict[str, str], actor: User
) -> dict[str, list[str]]:
    """Save the values; returns what changed (old, new) per field. Logged in the audit log."""
    cleaned = {name: clean_text(values.get(name, "")) for name in EDITABLE}
    for name, value in cleaned.items():
        if len(value) > MAX_LENGTH[name]:
            raise DomainError(f"{MAX_LENGTH[name]}文字以内で入力してください。", name)
    if cleaned[NOTIFY_EMAIL] and not EMAIL_SHAPE.match(cleaned[NOTIFY_EMAIL]):
        raise DomainError("メールアドレスの形式が正しくありません。", NOTIFY_EMAIL)
    changes = {
        name: [getattr(network, name), value]
        for name, value in cleaned.items()
        if getattr(network, name) != value
    }
    if not changes:
        return {}
    for name, (_old, new) in changes.items():
        setattr(network, name, new)
    audit.record(
        session,
        actor=actor,
        action="network.settings_update",
        target_type="network",
        target_id=network.id,
        target_label=network.name,
        network_id=network.id,
        details={"changes": changes},
    )
    session.commit()
    return changes
