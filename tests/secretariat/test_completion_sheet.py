"""The not-started members' personal-link QR sheet: a PDF whose codes real tools decode to each
member's own link, logged, capped, and only for the secretariat."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests.quizzes.helpers import load_repository_content, take
from tests.tools import need
from trainer.accounts.models import Role
from trainer.audit.models import AuditEvent
from trainer.extensions import db
from trainer.learning.models import Course
from trainer.secretariat import completion, link_sheet
from trainer.secretariat.link_sheet import LinkSlip, link_sheet_pdf

BASE_URL = "http://trainer.test"  # tests/conftest.py


@pytest.fixture
def world(app, make_network, make_org, make_member, make_user):
    load_repository_content()
    course = db.session.scalar(select(Course).where(Course.slug == "mimamori-basic"))
    network = make_network(name="みどり市消費者安全確保地域協議会")
    org = make_org(network, name="ひまわりケアプランセンター")
    other = make_org(network, name="みどり郵便局", kind="post_office")
    waiting = [make_member(network, org, name=f"未受講 {n}号", kana=f"み{n:02d}") for n in range(9)]
    started = make_member(network, org, name="受講済 太郎")
    take(started, course, "pre", right=set())
    make_member(network, other, name="郵便 花子")
    return {
        "course": course,
        "network": network,
        "org": org,
        "other": other,
        "waiting": waiting,
        "secretariat": make_user(network, Role.SECRETARIAT),
        "trainer": make_user(network, Role.TRAINER),
        "outsider": make_user(make_network(), Role.SECRETARIAT),
    }


def sheet_url(world) -> str:
    return f"/n/{world['network'].id}/completion/not-started/sheet.pdf"


def pages_as_images(data: bytes, tmp_path: Path) -> list[Path]:
    source = tmp_path / "sheet.pdf"
    source.write_bytes(data)
    subprocess.run(
        [need("pdftoppm"), "-r", "200", "-png", str(source), str(tmp_path / "page")],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return sorted(tmp_path.glob("page-*.png"))


def decoded(picture: Path) -> list[str]:
    result = subprocess.run(
        [need("zbarimg"), "--raw", "-q", "-Sdisable", "-Sqrcode.enable", str(picture)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.stdout.splitlines()


def pdf_text(data: bytes, tmp_path: Path) -> str:
    source = tmp_path / "text.pdf"
    source.write_bytes(data)
    result = subprocess.run(
        [need("pdftotext"), "-layout", str(source), "-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


def test_sheet_of_one_organisation(world, client, login, tmp_path):
    login(client, world["secretariat"])
    response = client.post(
        sheet_url(world), data={"course": world["course"].id, "organisation": world["org"].id}
    )
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    data = response.data
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 2  # 9 slips, 8 to a page
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 595.28) < 1 and abs(float(box.height) - 841.89) < 1

    text = "".join(pdf_text(data, tmp_path).split())
    for member in world["waiting"]:
        assert "".join(member.name.split()) + "様" in text
    assert "受講済" not in text and "郵便花子" not in text  # started, or another organisation
    assert "ひまわりケアプランセンター" in text
    assert "".join(link_sheet.INSTRUCTIONS.split()) in text

    links = [c for page in pages_as_images(data, tmp_path) for c in decoded(page)]
    expected = {f"{BASE_URL}/m/{m.link_token}" for m in world["waiting"]}
    assert len(links) == 9 and set(links) == expected

    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "member.link_sheet")
    ).one()
    assert (event.target_type, event.target_id) == ("organisation", world["org"].id)
    assert event.target_label == "ひまわりケアプランセンター"
    assert event.details == {"course": world["course"].title, "count": 9}


def test_the_printed_link_signs_the_member_in(world, client, login, tmp_path):
    login(client, world["secretariat"])
    data = client.post(
        sheet_url(world), data={"course": world["course"].id, "organisation": world["other"].id}
    ).data
    (link,) = decoded(pages_as_images(data, tmp_path)[0])
    learner = client.application.test_client()
    response = learner.get(link.removeprefix(BASE_URL))
    assert response.status_code in (200, 302)
    assert "郵便 花子" in learner.get("/learn", follow_redirects=True).get_data(as_text=True)


def test_sheet_for_all_organisations_within_the_cap(world, client, login):
    login(client, world["secretariat"])
    response = client.post(sheet_url(world), data={"course": world["course"].id, "organisation": 0})
    assert response.status_code == 200
    assert len(PdfReader(io.BytesIO(response.data)).pages) == 2  # 10 slips
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "member.link_sheet")
    ).one()
    assert (event.target_type, event.target_label) == ("network", "全構成団体")
    assert event.details["count"] == 10


def test_more_than_the_cap_asks_for_one_organisation(world, client, login, monkeypatch):
    monkeypatch.setattr(completion, "MAX_SLIPS", 5)
    login(client, world["secretariat"])
    page = client.get(f"/n/{world['network'].id}/completion/not-started").get_data(as_text=True)
    assert "一度に5人までです" in page and "QRシートのPDFを作る" not in page
    response = client.post(sheet_url(world), data={"course": world["course"].id, "organisation": 0})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "未受講の構成員が10人いて" in body and "構成団体を選んで" in body
    assert (
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == "member.link_sheet")).all()
        == []
    )


def test_nobody_to_print(world, client, login, make_org):
    empty = make_org(world["network"], name="だれもいない会")
    login(client, world["secretariat"])
    response = client.post(
        sheet_url(world), data={"course": world["course"].id, "organisation": empty.id}
    )
    assert response.status_code == 422
    assert "未受講の構成員はいません" in response.get_data(as_text=True)


def test_an_organisation_not_offered_is_refused(world, client, login, make_network, make_org):
    foreign = make_org(make_network())
    login(client, world["secretariat"])
    response = client.post(
        sheet_url(world), data={"course": world["course"].id, "organisation": foreign.id}
    )
    assert response.status_code == 422
    assert "構成団体を一覧から選んでください" in response.get_data(as_text=True)
    assert (
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == "member.link_sheet")).all()
        == []
    )


def test_sheet_needs_csrf(world, make_app, login):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    login(client, world["secretariat"])
    response = client.post(sheet_url(world), data={"course": world["course"].id, "organisation": 0})
    assert response.status_code == 400


def test_trainer_and_other_network_cannot_print(world, client, login):
    login(client, world["trainer"])
    assert client.post(sheet_url(world), data={"organisation": 0}).status_code == 403
    login(client, world["outsider"])
    assert client.post(sheet_url(world), data={"organisation": 0}).status_code == 404


def test_long_texts_stay_on_their_slip(tmp_path):
    """A very long name and organisation are shrunk to fit; the code still decodes."""
    slip = LinkSlip(
        member_name="寿限無寿限無五劫の擦り切れ海砂利水魚の水行末雲来末風来末",
        organisation=(
            "社会福祉法人みどり福祉会 指定居宅介護支援事業所 ひまわりケアプランセンター北部分室"
        ),
        network="みどり市消費者安全確保地域協議会（見守りネットワーク）",
        course_title="見守りネットワーク 基礎研修 ― 悪質商法から高齢者を守る",
        url=f"{BASE_URL}/m/{'A' * 48}",
    )
    data = link_sheet_pdf([slip])
    (page,) = pages_as_images(data, tmp_path)
    assert decoded(page) == [slip.url]
    text = "".join(pdf_text(data, tmp_path).split())
    assert "寿限無寿限無五劫の擦り切れ海砂利水魚の水行末雲来末風来末" in text
