"""Bulletins made straight through the models, for the print and public-output tests."""

from __future__ import annotations

import io
from datetime import datetime

from PIL import Image

from trainer.bulletins.models import Bulletin
from trainer.extensions import db

BODY = """## 還付金詐欺の電話が増えています

市役所の職員を名乗り、「**医療費の還付金があります**」と言って ATM へ行くよう求める電話が
続いています。

- ATM でお金が戻ることは**ありません**。
- 迷ったら[消費者庁の注意喚起](https://www.caa.go.jp/)を見てください。

1. まず電話を切る
2. 家族や事務局に相談する
"""


def make_bulletin(
    network,
    *,
    title: str = "還付金詐欺にご注意ください",
    body: str = BODY,
    kind: str = "warning",
    published_at: datetime | None = datetime(2026, 12, 4, 0, 30),
    publish_at: datetime | None = None,
    public: bool = False,
    org_kinds: list[str] | None = None,
    org_ids: list[int] | None = None,
    attachment: tuple[str, str, bytes] | None = None,
) -> Bulletin:
    """A bulletin of the network; published (at 2026-12-04 09:30 JST) unless told otherwise."""
    name, content_type, data = attachment or ("", "", None)
    bulletin = Bulletin(
        network_id=network.id,
        kind=kind,
        title=title,
        body=body,
        audience_org_kinds=org_kinds or [],
        audience_organisation_ids=org_ids or [],
        public=public,
        publish_at=publish_at,
        published_at=published_at,
        attachment_name=name,
        attachment_type=content_type,
        attachment_data=data,
        created_at=datetime(2026, 12, 1, 8, 0),
    )
    db.session.add(bulletin)
    db.session.commit()
    return bulletin


def picture(kind: str = "PNG", size: tuple[int, int] = (400, 300)) -> bytes:
    """A small picture: a red field with a white stripe (to see where it lands on the page)."""
    image = Image.new("RGB", size, (200, 40, 40))
    for x in range(size[0]):
        for y in range(size[1] // 2 - 10, size[1] // 2 + 10):
            image.putpixel((x, y), (255, 255, 255))
    out = io.BytesIO()
    image.save(out, kind)
    return out.getvalue()
