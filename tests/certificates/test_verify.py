"""The public check: each status, unknown tokens, the minimum shown, rate limit; the signed
Open Badges JSON and its key."""

from __future__ import annotations

import copy
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature

from tests.certificates.helpers import make_certificate
from tests.quizzes.helpers import load_repository_content
from trainer.accounts import roster
from trainer.certificates import signing
from trainer.extensions import db
from trainer.timeutil import today_jst

CHECKED_AT = re.compile(r"確認日時：[^（]*")


@pytest.fixture
def certificate(app, make_network, make_org, make_member):
    load_repository_content()
    network = make_network(name="みどり市消費者安全確保地域協議会")
    org = make_org(network, name="みどり信用金庫 本店営業部", kind="financial")
    member = make_member(network, org, name="山田　太郎", kana="やまだ たろう")
    member.email = "taro@example.jp"
    db.session.commit()
    return make_certificate(member)


def page(client, token: str):
    response = client.get(f"/verify/{token}")
    return response, response.get_data(as_text=True)


def test_a_valid_certificate_shows_the_minimum(client, certificate):
    response, html = page(client, certificate.token)
    assert response.status_code == 200
    assert 'class="check-result-label" id="check-result-label">有効<' in html
    for text in (
        "山田　太郎",
        "みどり信用金庫 本店営業部",
        "みどり市消費者安全確保地域協議会",
        "見守りネットワーク 基礎研修",
        f"{today_jst().year}年{today_jst().month}月{today_jst().day}日",
        f"{certificate.valid_until.year}年{certificate.valid_until.month}月"
        f"{certificate.valid_until.day}日まで",
    ):
        assert text in html, text
    # Nothing more: no kana, email, serial or links into the app.
    for text in ("やまだ", "taro@example.jp", "第00001号", "/learn", "/n/"):
        assert text not in html, text
    assert response.headers["Cache-Control"] == "no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]


def test_expired(client, certificate):
    certificate.valid_until = today_jst() - timedelta(days=1)
    db.session.commit()
    assert ">期限切れ<" in page(client, certificate.token)[1]


def test_the_last_day_is_still_valid(client, certificate):
    certificate.valid_until = today_jst()
    db.session.commit()
    assert ">有効<" in page(client, certificate.token)[1]


def test_ending_the_membership_lapses_it_at_once(client, certificate):
    roster.end_membership(
        db.session, member=certificate.member, end_date=today_jst(), reason="退職", actor=None
    )
    html = page(client, certificate.token)[1]
    assert ">失効<" in html and "現在は" in html
    # Undoing a mistaken end makes it valid again.
    roster.reinstate_membership(db.session, member=certificate.member, actor=None)
    assert ">有効<" in page(client, certificate.token)[1]


def test_a_future_end_date_keeps_it_valid_until_then(client, certificate):
    roster.end_membership(
        db.session,
        member=certificate.member,
        end_date=today_jst() + timedelta(days=10),
        reason="",
        actor=None,
    )
    assert ">有効<" in page(client, certificate.token)[1]


def test_revoked_wins_over_every_other_status(client, certificate):
    from trainer.certificates import service

    certificate.valid_until = date(2020, 1, 1)
    db.session.commit()
    service.revoke(db.session, certificate=certificate, reason="紛失", actor=None)
    html = page(client, certificate.token)[1]
    assert ">取消<" in html and "取り消されています" in html
    assert "紛失" not in html  # the reason is for the secretariat, not the public


def test_unknown_tokens_get_one_and_the_same_answer(client, certificate):
    answers = []
    for token in (
        certificate.token[:-1] + ("A" if certificate.token[-1] != "A" else "B"),
        "x",
        "x" * 500,
        "%E5%B1%B1",
        certificate.token.upper() if certificate.token.upper() != certificate.token else "Q" * 22,
    ):
        response, html = page(client, token)
        assert response.status_code == 404
        assert "確認できません" in html and "山田" not in html
        answers.append(CHECKED_AT.sub("", html))
    assert len(set(answers)) == 1  # same wording whatever the guess


def test_verification_is_rate_limited_per_address(client, certificate):
    codes = [client.get(f"/verify/guess{i:04d}").status_code for i in range(31)]
    assert codes[:30] == [404] * 30 and codes[30] == 429
    # The JSON shares the limit.
    assert client.get(f"/verify/{certificate.token}.json").status_code == 429


# --- the signed credential -----------------------------------------------------------------------


def fetch(client, certificate):
    credential = client.get(f"/verify/{certificate.token}.json").get_json()
    key_document = client.get("/verify/issuer-key.json").get_json()
    [method] = key_document["verificationMethod"]
    assert credential["proof"]["verificationMethod"] == method["id"]
    return credential, signing.public_key_from_multibase(method["publicKeyMultibase"])


def test_the_credential_is_open_badges_style_and_verifies(client, certificate):
    credential, key = fetch(client, certificate)
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["id"] == f"http://trainer.test/verify/{certificate.token}"
    assert credential["issuer"]["name"] == "みどり市消費者安全確保地域協議会"
    subject = credential["credentialSubject"]
    assert subject["achievement"]["name"] == "見守りネットワーク 基礎研修"
    assert subject["identifier"][0]["identityHash"] == "山田　太郎"
    day = certificate.issued_on.isoformat()
    assert credential["validFrom"] == f"{day}T00:00:00+09:00"
    end = (certificate.valid_until + timedelta(days=1)).isoformat()
    assert credential["validUntil"] == f"{end}T00:00:00+09:00"
    assert credential["credentialStatus"]["status"] == "valid"
    assert credential["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    assert signing.verify(credential, key)


@pytest.mark.parametrize(
    "path",
    [
        ("name",),
        ("validUntil",),
        ("issuer", "name"),
        ("credentialSubject", "identifier", 0, "identityHash"),
        ("credentialSubject", "achievement", "name"),
        ("credentialStatus", "status"),
        ("proof", "created"),
        ("proof", "proofValue"),
    ],
)
def test_changing_any_field_breaks_the_signature(client, certificate, path):
    credential, key = fetch(client, certificate)
    changed = copy.deepcopy(credential)
    target = changed
    for step in path[:-1]:
        target = target[step]
    value = target[path[-1]]
    target[path[-1]] = value[:-2] + ("zz" if not value.endswith("zz") else "yy")
    assert signing.verify(credential, key)
    assert not signing.verify(changed, key)


def test_a_revoked_credential_says_so_and_unknown_is_404(client, certificate):
    from trainer.certificates import service

    service.revoke(db.session, certificate=certificate, reason="誤発行", actor=None)
    credential, key = fetch(client, certificate)
    assert credential["credentialStatus"]["status"] == "revoked"
    assert credential["credentialStatus"]["statusLabel"] == "取消"
    assert signing.verify(credential, key)
    response = client.get("/verify/nothing-here-at-all.json")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


def test_the_key_is_kept_in_the_instance_folder_and_shared(app, make_app, client, certificate):
    first = client.get("/verify/issuer-key.json").get_json()
    key_file = app.config["SIGNING_KEY_FILE"]
    assert key_file.exists() and (key_file.stat().st_mode & 0o777) == 0o600
    other = make_app().test_client().get("/verify/issuer-key.json").get_json()
    assert other["verificationMethod"] == first["verificationMethod"]


def test_the_docs_show_a_verification_that_works(client, certificate, tmp_path, monkeypatch):
    """The few lines of Python in docs/certificates.md verify a credential fetched from the app."""
    docs = Path(__file__).resolve().parents[2] / "docs" / "certificates.md"
    readme = docs.read_text(encoding="utf-8")
    snippet = re.search(r"```python\n(# verify-credential.*?)```", readme, re.DOTALL).group(1)
    (tmp_path / "credential.json").write_text(
        json.dumps(client.get(f"/verify/{certificate.token}.json").get_json()), encoding="utf-8"
    )
    (tmp_path / "issuer-key.json").write_text(
        json.dumps(client.get("/verify/issuer-key.json").get_json()), encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    exec(
        compile(snippet, "docs/certificates.md", "exec"), {}
    )  # raises InvalidSignature if it fails
    data = json.loads((tmp_path / "credential.json").read_text(encoding="utf-8"))
    data["credentialSubject"]["identifier"][0]["identityHash"] = "別人"
    (tmp_path / "credential.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InvalidSignature):
        exec(compile(snippet, "docs/certificates.md", "exec"), {})


# --- the check by number and name (/verify without a token) ---------------------------------------


def by_serial(client, serial: str, name: str, network_id: int):
    response = client.post(
        "/verify/", data={"serial": serial, "name": name, "network_id": network_id}
    )
    return response, response.get_data(as_text=True)


def test_the_form_is_at_bare_verify_with_the_only_network_chosen(client, certificate):
    for url in ("/verify", "/verify/"):
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert 'name="serial"' in html and 'name="name"' in html
        assert (
            f'<option selected value="{certificate.network_id}">みどり市消費者安全確保地域協議会'
            in html
        )
        assert "選んでください" not in html  # one network: nothing to choose
        assert response.headers["Cache-Control"] == "no-store"
    # An unknown token's page points to it.
    assert 'href="/verify/"' in client.get("/verify/unknown-token").get_data(as_text=True)


def test_number_and_name_show_the_status_without_the_organisation(client, certificate):
    for serial, name in (
        ("第00001号", "山田　太郎"),
        ("1", "山田太郎"),
        ("第１号", "山田 太郎"),
        (" 00001 ", "やまだ たろう"),  # the kana printed above the name
        ("第1号", "ヤマダタロウ"),
    ):
        response, html = by_serial(client, serial, name, certificate.network_id)
        assert response.status_code == 200, (serial, name)
        assert 'id="check-result-label">有効<' in html
        assert '<dd class="verify-name">山田　太郎</dd>' in html
        assert "見守りネットワーク 基礎研修" in html
        assert "みどり信用金庫" not in html and "所属" not in html  # less than the QR code's page
        assert response.headers["Cache-Control"] == "no-store"


def test_a_wrong_name_or_number_or_network_gets_one_answer(
    client, certificate, make_network, make_org, make_member
):
    other = make_network(name="あおば町見守りネットワーク")
    make_certificate(make_member(other, make_org(other), name="佐藤 花子"))
    answers = []
    for serial, name, network_id in (
        ("1", "山田 次郎", certificate.network_id),  # the right number, another name
        ("2", "山田 太郎", certificate.network_id),  # no such number
        ("1", "山田 太郎", other.id),  # another network's 第00001号
        ("1", "佐藤 花子", certificate.network_id),  # the other network's holder
    ):
        response, html = by_serial(client, serial, name, network_id)
        assert response.status_code == 404, (serial, name)
        answer = html[: html.index("<form")]  # the typed values are kept in the form below
        assert "確認できません" in answer and 'class="verify-name"' not in answer
        assert "山田" not in answer and "佐藤" not in answer and "信用金庫" not in html
        answers.append(CHECKED_AT.sub("", answer))
    assert len(set(answers)) == 1  # the same answer whatever was wrong


def test_revoked_and_lapsed_show_as_on_the_qr_page(client, certificate):
    from trainer.certificates import service

    roster.end_membership(
        db.session, member=certificate.member, end_date=today_jst(), reason="退職", actor=None
    )
    assert ">失効<" in by_serial(client, "1", "山田 太郎", certificate.network_id)[1]
    service.revoke(db.session, certificate=certificate, reason="紛失", actor=None)
    html = by_serial(client, "1", "山田 太郎", certificate.network_id)[1]
    assert ">取消<" in html and "紛失" not in html


def test_bad_input_gets_a_japanese_message(client, certificate):
    for data, message in (
        ({"serial": "", "name": "山田 太郎"}, "番号を入力してください。"),
        ({"serial": "abc", "name": "山田 太郎"}, "「第00012号」のように"),
        ({"serial": "0", "name": "山田 太郎"}, "「第00012号」のように"),
        ({"serial": "1", "name": " "}, "氏名を入力してください。"),
        ({"serial": "1", "name": "山田", "network_id": "999"}, "一覧から選んでください。"),
    ):
        response = client.post("/verify/", data={"network_id": certificate.network_id, **data})
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and message in html, data
        assert "check-result" not in html


def test_the_number_form_shares_the_qr_pages_rate_limit(client, certificate):
    codes = [
        by_serial(client, str(i + 2), "山田 太郎", certificate.network_id)[0].status_code
        for i in range(30)
    ]
    assert codes == [404] * 30
    assert by_serial(client, "1", "山田 太郎", certificate.network_id)[0].status_code == 429
    assert client.get(f"/verify/{certificate.token}").status_code == 429  # one bucket
    assert client.get("/verify/").status_code == 200  # reading the form is not a guess
