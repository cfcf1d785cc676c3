"""What anyone does on a page of the app: sign in, submit a form, download a file, read a count."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Download, Locator, Page, expect

FORM_BUTTON = "main form.stack button[type=submit]"  # the one form of a page such as /login


def squash(text: str) -> str:
    """Runs of white space as one space, as a person reads the text."""
    return " ".join(text.split())


def submit(page: Page, button: str | Locator = FORM_BUTTON) -> None:
    """Press a form's button (a CSS selector: its first match) and wait for the page it leads
    to, so that the next step sees the new page and not the old one."""
    target = page.locator(button).first if isinstance(button, str) else button
    with page.expect_navigation():
        target.click()


def fill_sign_in(page: Page, email: str, password: str) -> None:
    """The login form (already open): e-mail, password, ログイン."""
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(password)
    submit(page, page.get_by_role("button", name="ログイン"))


def sign_in(page: Page, base_url: str, email: str, password: str) -> None:
    """Through the real login form; the page then is wherever the app sends that person."""
    page.goto(f"{base_url}/login")
    fill_sign_in(page, email, password)
    expect(page).not_to_have_url(re.compile(r"/login"))


def network_url(page: Page) -> str:
    """The network a member of staff landed in after signing in: https://…/n/<id>."""
    found = re.search(r"^(.*/n/\d+)/", page.url)
    assert found, f"signed in, but on {page.url}, not a network's page"
    return found.group(1)


def card(page: Page, title: str) -> Locator:
    """The number on a count card (新規, 参加者 …): what a person reads, e.g. 「4人」."""
    heading = page.get_by_role("heading", name=title, exact=True)
    return page.locator(".card", has=heading).locator(".number")


def download(page: Page, button: Locator, into: Path) -> Download:
    """Press the button and keep the file it sends at `into`."""
    with page.expect_download() as info:
        button.click()
    info.value.save_as(into)
    return info.value
