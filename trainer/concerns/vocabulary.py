"""The fixed choices of a concern report: signs, urgency, consent, status, where a case was
connected, and the secretariat's instruction templates. Stored as codes; shown by label."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from trainer.audit.models import register_value_labels


@dataclass(frozen=True)
class Sign:
    """One item of the report form's checklist. `section` is the anchor of the part of the
    basic course's module 「気づきのポイント」 (courses/mimamori-basic/04-warning-signs.md) the
    item comes from, so that the checklist and the course say the same (a test holds them
    together)."""

    key: str
    label: str
    section: str


# In the order of the module: in the home, around it, the person, at the counter, recent tricks.
SIGNS: tuple[Sign, ...] = (
    Sign("unfamiliar_goods", "見慣れない品物や、同じ品物がたくさんある", "in-home"),
    Sign("bills", "契約書・請求書・督促状がたまっている", "in-home"),
    Sign("unfamiliar_traders", "見慣れない業者が出入りしている", "around-home"),
    Sign("costly_work", "高額な契約や、くり返しの工事がある", "around-home"),
    Sign("deliveries", "宅配便がひんぱんに届く、または受け取りを断っている", "around-home"),
    Sign("suspicious_calls", "不審な電話・郵便・訪問がある（警察や役所をかたる など）", "recent"),
    Sign("money_trouble", "お金に困っている様子がある", "person"),
    Sign("told_secret", "「だれにも言うな」と言われている", "person"),
    Sign("judgement", "判断が難しそう、もの忘れが進んでいる様子がある", "person"),
    Sign("atm", "ふだんと違う高額の引き出しや、電話をしながらのATM操作", "counter"),
    Sign("prepaid", "電子マネー・プリペイドカードを何枚も買おうとしている", "counter"),
    Sign("other", "その他", ""),
)
SIGN_LABELS: dict[str, str] = {sign.key: sign.label for sign in SIGNS}
OTHER_SIGN = "other"


class ConcernStatus(enum.StrEnum):
    """The inbox's stages: 新規 → 確認中 → 指示済み → 完了."""

    NEW = "new"
    IN_REVIEW = "in_review"
    INSTRUCTED = "instructed"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return {
            "new": "新規",
            "in_review": "確認中",
            "instructed": "指示済み",
            "closed": "完了",
        }[self.value]


class Urgency(enum.StrEnum):
    NOW = "now"  # the form shows 110 at once, before anything is sent
    SOON = "soon"
    NORMAL = "normal"

    @property
    def label(self) -> str:
        return {
            "now": "今まさに起きている",
            "soon": "早めの対応が必要そう",
            "normal": "急がない",
        }[self.value]


class Consent(enum.StrEnum):
    """Whether the person agreed to their details being passed on. The police notice of
    2025-12-24 asks that consent be recorded, and the reason when it could not be obtained."""

    GIVEN = "given"
    REFUSED = "refused"
    UNCONFIRMED = "unconfirmed"

    @property
    def label(self) -> str:
        return {
            "given": "同意あり",
            "refused": "同意なし",
            "unconfirmed": "確認できなかった",
        }[self.value]


class ConnectedTo(enum.StrEnum):
    """Where the secretariat connected the case."""

    CONSUMER_CENTRE = "consumer_centre"
    POLICE = "police"
    COMMUNITY_SUPPORT = "community_support"
    DISABILITY_SUPPORT = "disability_support"
    OTHER = "other"
    NONE = "none"

    @property
    def label(self) -> str:
        return {
            "consumer_centre": "消費生活センター",
            "police": "警察",
            "community_support": "地域包括支援センター",
            "disability_support": "基幹相談支援センター",
            "other": "その他",
            "none": "つないでいない",
        }[self.value]


@dataclass(frozen=True)
class InstructionTemplate:
    key: str
    title: str  # on the secretariat's choice list
    text: str  # what the member reads


INSTRUCTION_TEMPLATES: tuple[InstructionTemplate, ...] = (
    InstructionTemplate(
        "recommend_centre",
        "センターへの相談を勧める",
        "ご本人に、消費生活センターへの相談をすすめてください。"
        "番号がわからなければ、消費者ホットライン188で近くの窓口につながります。",
    ),
    InstructionTemplate(
        "report_details",
        "個人情報を含めて報告を",
        "急ぎの案件です。ご本人の名前や連絡先などを含めて、事務局に報告してください。",
    ),
    InstructionTemplate(
        "call_police",
        "警察へ通報",
        "警察に通報してください。いま危険があるときは110番です。",
    ),
    InstructionTemplate(
        "community_support",
        "地域包括支援センターへ伝える",
        "地域包括支援センター（または担当のケアマネジャー）に伝えてください。",
    ),
    InstructionTemplate(
        "keep_watching",
        "見守りを続ける",
        "引き続き、ふだんの様子を見守ってください。変わったことがあれば、また知らせてください。",
    ),
    InstructionTemplate(
        "handled",
        "事務局で対応した",
        "事務局で対応しました。構成員の方の対応は、これ以上必要ありません。ありがとうございました。",
    ),
)
TEMPLATES_BY_KEY: dict[str, InstructionTemplate] = {t.key: t for t in INSTRUCTION_TEMPLATES}

register_value_labels("concern_status", {s.value: s.label for s in ConcernStatus})
register_value_labels("urgency", {u.value: u.label for u in Urgency})
register_value_labels("consent", {c.value: c.label for c in Consent})
register_value_labels("connected_to", {c.value: c.label for c in ConnectedTo})
register_value_labels("template", {t.key: t.title for t in INSTRUCTION_TEMPLATES})
