"""Screenshots 50-61: the demo learner reads every module and passes the post-quiz through the
real forms, opens the certificate and its /verify page; the secretariat sees the certificate
list, detail, badge sheet (downloads the PDF, checks it is one) and member page, revokes the
certificate through the form, and /verify then says 取消. At the second width the learner passes
again, which issues a new certificate."""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Browser, Page

from tests.e2e.driver.actions import download, network_url, sign_in, submit
from tests.e2e.driver.quiz import pass_post_quiz, read_modules
from tests.e2e.tour.demo import Demo, open_page
from tests.e2e.tour.shooter import Shooter


@dataclass
class Issued:
    """The certificate the demo learner earned, as the print view shows it."""

    serial: str
    print_url: str
    verify_url: str


def earn_certificate(page: Page, s: Shooter, base: str) -> Issued:
    """Read every module ("読みました" on each), pass the post-quiz through the real forms, open the
    certificate, its /verify page, and an unknown token's /verify page."""
    read_modules(page, base)
    pass_post_quiz(page, base)
    open_link = page.locator("main a[href*='/learn/certificates/']", has_text="修了証を開く")
    if not open_link.count():
        s.problems.append(f"quiz-post-result-{s.width}: no 修了証を開く link ({page.url})")
    s.shoot(page, 50, "quiz-post-result")
    if not open_link.count():
        raise SystemExit("the post-quiz was not passed or gave no certificate")

    page.goto(f"{base}/learn/certificates/")
    s.shoot(page, 51, "my-certificates")
    submit(page, page.locator("main a", has_text="修了証を開く").first)
    shot = s.shoot(page, 52, "certificate-print")
    issued = Issued(
        serial=page.inner_text("main.sheet .serial").strip(),
        print_url=page.url,
        verify_url=page.inner_text("main.sheet .check .url").strip(),
    )
    s.expect_qr(shot, issued.verify_url, "certificate print view")

    page.goto(issued.verify_url)
    expect_label(page, s, "verify", "有効")
    s.shoot(page, 53, "verify")
    page.goto(f"{base}/verify/no-such-token-{s.width}")
    expect_label(page, s, "verify-unknown", "確認できません")
    s.shoot(page, 54, "verify-unknown")
    return issued


def expect_label(page: Page, s: Shooter, name: str, label: str) -> None:
    shown = page.locator("main .check-result-label")
    text = shown.inner_text().strip() if shown.count() else "(none)"
    if text != label:
        s.problems.append(f"{name}-{s.width}: the check says {text!r}, not {label!r}")


def secretariat_certificates(browser: Browser, s: Shooter, demo: Demo, issued: Issued) -> None:
    """The secretariat's certificate list, detail, badge sheet and member page, then a revocation
    through the form (first empty, to see the error) and the /verify page saying 取消."""
    page = open_page(browser, s)
    sign_in(page, demo.base, *demo.logins["事務局"])
    n = network_url(page)
    page.goto(n + "/certificates/")
    s.shoot(page, 55, "certificates")
    submit(page, page.locator("main table.list a", has_text=issued.serial).first)
    s.shoot(page, 56, "certificate-detail")
    detail_url = page.url
    badge_sheet(page, s, n)

    page.goto(detail_url)
    submit(page, page.locator("main dl.facts a").first)
    s.shoot(page, 58, "member-certificates")
    page.goto(detail_url)
    submit(page)
    if not page.locator("main p.error").count():
        s.problems.append(f"certificate-revoke-errors-{s.width}: no error for an empty reason")
    s.shoot(page, 59, "certificate-revoke-errors")
    page.fill("main textarea[name=reason]", "紛失した構成員証の再発行のため（画面確認用）")
    submit(page)  # the confirmation page: its red 取り消す revokes
    submit(page, "main button.danger")
    s.shoot(page, 60, "certificate-revoked")
    page.goto(issued.verify_url)
    expect_label(page, s, "verify-revoked", "取消")
    s.shoot(page, 61, "verify-revoked")
    page.context.close()


def badge_sheet(page: Page, s: Shooter, n: str) -> None:
    """The badge sheet, and its PDF downloaded through the form (not kept)."""
    page.goto(n + "/certificates/badges")
    s.shoot(page, 57, "certificate-badges")
    button = page.locator("main form[method=post] button[type=submit]")
    if not button.count():
        s.problems.append(f"badges-{s.width}: no download button")
        return
    pdf = s.out / f"badges-{s.width}.pdf"
    sent = download(page, button, pdf)
    head = pdf.read_bytes()[:5]
    print(f"badge sheet ({s.width} px): {sent.suggested_filename}, starts {head!r}")
    if head != b"%PDF-":
        s.problems.append(f"badges-{s.width}: the download is not a PDF")
    pdf.unlink()
