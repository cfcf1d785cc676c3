"""A certificate as an Open Badges 3.0 style credential (a W3C Verifiable Credential 2.0).

Built from the stored certificate when asked, so its credentialStatus is the status at that
moment, and signed with the issuer key (trainer/certificates/signing.py).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from trainer.certificates import signing
from trainer.certificates.models import Certificate
from trainer.timeutil import JST, to_jst

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


def _start_of_day(day: date) -> str:
    """Midnight in Japan, as ISO 8601: certificate dates are Japanese calendar dates."""
    return datetime(day.year, day.month, day.day, tzinfo=JST).isoformat()


def credential(
    certificate: Certificate, *, base_url: str, verify_url: str, checked_at: datetime
) -> dict[str, Any]:
    """The unsigned credential. validUntil is the end of the last valid day (exclusive)."""
    network, member, course = certificate.network, certificate.member, certificate.course
    status = certificate.status_on(to_jst(checked_at).date())
    return {
        "@context": CONTEXT,
        "id": verify_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{course.title} 修了証",
        "issuer": {
            "id": f"{base_url}/#network-{network.id}",
            "type": ["Profile"],
            "name": network.name,
            "address": {
                "type": ["Address"],
                "addressCountry": "JP",
                "addressRegion": network.prefecture,
                "addressLocality": network.municipality,
            },
        },
        "validFrom": _start_of_day(certificate.issued_on),
        "validUntil": _start_of_day(certificate.valid_until + timedelta(days=1)),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": False,
                    "identityHash": member.name,
                }
            ],
            "organisation": member.organisation.name,
            "achievement": {
                "id": f"{base_url}/#course-{course.slug}",
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": course.title,
                "description": course.summary or course.title,
                "criteria": {
                    "narrative": (
                        "研修のモジュールをすべて読み、"
                        f"事後テストで{course.pass_mark}%以上を得点すること。"
                    )
                },
            },
        },
        "credentialStatus": {
            "id": verify_url,
            "type": "MimamoriVerificationStatus",
            "status": status.value,
            "statusLabel": status.label,
            "statusDescription": status.public_text(network.name),
            "checkedAt": to_jst(checked_at).isoformat(timespec="seconds"),
        },
    }


def signed_credential(
    certificate: Certificate,
    *,
    key: Ed25519PrivateKey,
    key_document_url: str,
    base_url: str,
    verify_url: str,
    checked_at: datetime,
) -> dict[str, Any]:
    """The credential with its proof, made with the issuer key published at key_document_url."""
    document = credential(
        certificate, base_url=base_url, verify_url=verify_url, checked_at=checked_at
    )
    return signing.sign(
        document,
        key,
        verification_method=signing.verification_method(key, key_document_url),
        created=checked_at.replace(microsecond=0).isoformat() + "Z",
    )
