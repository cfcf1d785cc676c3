"""Where a member turns after sending a report: the network's own contacts (地域の窓口), each
with a neutral phrase while the secretariat has not set it, as the course pages do."""

from __future__ import annotations

import re
from dataclasses import dataclass

from trainer.accounts.models import Network
from trainer.content.placeholders import FACTS_BY_NAME

# A number a phone can dial from a tel: link (digits, with the usual separators).
_DIALLABLE = re.compile(r"[0-9０-９()（）\-‐－ 　]{3,}")


@dataclass(frozen=True)
class Contact:
    title: str  # what the place does for the member, in one line
    name: str
    phone: str  # as the secretariat typed it, or a neutral phrase
    tel: str  # the number for a tel: link; "" when there is none to dial

    @property
    def has_tel(self) -> bool:
        return bool(self.tel)


def _value(facts: dict[str, str], name: str) -> tuple[str, bool]:
    value = (facts.get(name) or "").strip()
    return (value, True) if value else (FACTS_BY_NAME[name].learner_fallback, False)


def _tel(phone: str) -> str:
    if not _DIALLABLE.fullmatch(phone):
        return ""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits.translate(str.maketrans("０１２３４５６７８９", "0123456789"))


def _contact(facts: dict[str, str], title: str, name_fact: str, phone_fact: str) -> Contact:
    name, _ = _value(facts, name_fact)
    phone, is_set = _value(facts, phone_fact)
    return Contact(title=title, name=name, phone=phone, tel=_tel(phone) if is_set else "")


HOTLINE = Contact(
    title="どこに相談すればよいかわからないとき",
    name="消費者ホットライン（近くの消費生活センターにつながります）",
    phone="188（いやや）",
    tel="188",
)


def contacts_for(network: Network) -> list[Contact]:
    """The consumer centre, 188, 地域包括支援センター and the police, in that order."""
    facts = network.local_facts()
    return [
        _contact(
            facts,
            "契約やお金のトラブルの相談",
            "consumer_centre_name",
            "consumer_centre_phone",
        ),
        HOTLINE,
        _contact(
            facts,
            "高齢の方の暮らしや介護の相談",
            "community_support_name",
            "community_support_phone",
        ),
        _contact(facts, "犯罪や危険が心配なとき", "police_name", "police_phone"),
    ]
