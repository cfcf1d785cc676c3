"""Public verification: what /verify may show for a certificate, found by its QR code's token
or by its serial number and the holder's name."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from trainer.accounts.models import Network
from trainer.certificates.models import Certificate, CertificateStatus
from trainer.certificates.service import with_relations
from trainer.database import Session
from trainer.security import token_digest
from trainer.text import clean_text, name_key
from trainer.timeutil import today_jst

_SPACES = re.compile(r"\s+")


def find_by_token(session: Session, token: str) -> Certificate | None:
    """The certificate for a token from a QR code, or None.

    Every token, well-formed or not, goes through the same hash and the same single query: the
    time taken and the page shown do not tell a guesser anything but "not found"."""
    return session.scalar(
        with_relations(
            select(Certificate).where(Certificate.token_hash == token_digest(token[:200]))
        )
    )


@dataclass(frozen=True)
class Verification:
    """Exactly what /verify may show: the status and the minimum to recognise the person."""

    status: CertificateStatus
    member_name: str
    organisation: str
    network: str
    course_title: str
    issued_on: date
    valid_until: date
    # Superseded (renewed): the newer certificate's serial, and its token for a link to its own
    # check ("" when not superseded, or when the check was by serial: see by_serial()).
    replaced_by_serial: str = ""
    replaced_by_token: str = ""


def verification(
    certificate: Certificate, day: date | None = None, *, organisation: bool = True
) -> Verification:
    """organisation=False leaves the organisation out ("" is not shown): see by_serial(). A
    superseded certificate names its successor; whether that one is valid is its own check."""
    newer = certificate.supersession.new_certificate if certificate.supersession else None
    return Verification(
        replaced_by_serial=newer.serial_label if newer else "",
        replaced_by_token=newer.token if newer and organisation else "",
        status=certificate.status_on(day or today_jst()),
        member_name=certificate.member.name,
        organisation=certificate.member.organisation.name if organisation else "",
        network=certificate.network.name,
        course_title=certificate.course.title,
        issued_on=certificate.issued_on,
        valid_until=certificate.valid_until,
    )


# --- the check by serial number (/verify without a token) ---------------------------------------

_SERIAL = re.compile(r"第?0*([0-9]{1,9})号?")


def parse_serial(text: str) -> int | None:
    """「第00012号」, 「第12号」, 「00012」, 「１２」 (full-width), with or without spaces → 12."""
    value = _SPACES.sub("", unicodedata.normalize("NFKC", clean_text(text)))
    found = _SERIAL.fullmatch(value)
    return int(found.group(1)) if found and int(found.group(1)) > 0 else None


def networks(session: Session) -> list[tuple[int, str]]:
    """(id, name) of every network, for the check form's list: their names are public (they
    are printed on every certificate and badge)."""
    return [
        (id_, name)
        for id_, name in session.execute(select(Network.id, Network.name).order_by(Network.name))
    ]


def by_serial(session: Session, *, network_id: int, serial: int, name: str) -> Verification | None:
    """The check for someone who holds a certificate or a badge but cannot read its QR code.

    Serials are consecutive, so a serial alone would let anyone list a network's members: the
    holder's name (as printed, or its kana) must match too, and anything else (no such serial,
    another name) gets the one answer None, as an unknown token does. What is shown leaves out
    the organisation: the person asking already holds the name and the number, and a guesser
    who knows a name and tries serials learns no more than whether that person holds one."""
    certificate = session.scalar(
        with_relations(
            select(Certificate).where(
                Certificate.network_id == network_id, Certificate.serial == serial
            )
        )
    )
    typed = name_key(name)
    if certificate is None or not typed:
        return None
    member = certificate.member
    if typed not in {member.name_key, member.kana_key} - {""}:
        return None
    return verification(certificate, organisation=False)
