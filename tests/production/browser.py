"""One person's device talking to a live server, with the standard library only: its own
cookie jar, a new connection for every request, the Referer a browser sends with a form, and
forms read from the HTML as a browser reads them (hidden fields, selected options, ticked
boxes). Nothing is followed or filled in behind the test's back."""

from __future__ import annotations

import http.client
import threading
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from typing import TypeVar
from urllib.parse import urlencode, urljoin, urlsplit

import pytest

from tests.live_server import LiveServer

TIMEOUT = 30  # seconds for any one request (connect, send, read)
T = TypeVar("T")


@dataclass
class Page:
    status: int
    url: str  # the absolute URL that was asked for
    headers: http.client.HTTPMessage
    text: str

    @property
    def location(self) -> str:
        """The redirect's target as a path (the app sends relative Location headers)."""
        target = urlsplit(self.headers.get("Location", ""))
        return target.path + (f"?{target.query}" if target.query else "")

    def set_cookie(self, name: str) -> str:
        """The Set-Cookie header for `name`, or "" when the response sets none."""
        for header in self.headers.get_all("Set-Cookie") or []:
            if header.startswith(f"{name}="):
                return header
        return ""


# --- forms ---------------------------------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)

    def value(self, name: str) -> str | None:
        return next((v for k, v in self.fields if k == name), None)

    def fill(self, **values: str) -> Form:
        """Type into the named fields (replacing what the page put there)."""
        kept = [(k, v) for k, v in self.fields if k not in values]
        self.fields = kept + list(values.items())
        return self


class _FormReader(HTMLParser):
    """Collects each form with the fields a browser would send if the user changed nothing:
    inputs (checkboxes and radios only when ticked), each select's chosen option, textareas.
    Buttons are left out: the tests click forms whose buttons carry no name."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select: tuple[str, list[tuple[str, bool]]] | None = None
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
        elif not self.forms or "disabled" in a:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            default = "on" if kind in {"checkbox", "radio"} else ""
            self.forms[-1].fields.append((a["name"], a.get("value", default)))
        elif tag == "select" and a.get("name"):
            self._select = (a["name"], [])
        elif tag == "option" and self._select is not None:
            self._select[1].append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and a.get("name"):
            self._textarea = (a["name"], [])

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select is not None:
            name, options = self._select
            chosen = next((v for v, selected in options if selected), None)
            if chosen is None and options:
                chosen = options[0][0]
            if chosen is not None:
                self.forms[-1].fields.append((name, chosen))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, parts = self._textarea
            self.forms[-1].fields.append((name, "".join(parts)))
            self._textarea = None


def forms(html: str) -> list[Form]:
    reader = _FormReader()
    reader.feed(html)
    reader.close()
    return reader.forms


def form_on(page: Page, action_ending: str, **expected: str) -> Form:
    """The page's POST form whose action ends with `action_ending` and whose fields hold the
    `expected` values (e.g. to="pre" for one of several phase buttons)."""
    assert page.status == 200, f"{page.url}: {page.status}\n{page.text[:2000]}"
    for form in forms(page.text):
        form.action = urljoin(page.url, form.action)  # no action: the page's own address
        if form.method != "post" or not urlsplit(form.action).path.endswith(action_ending):
            continue
        if all(form.value(name) == value for name, value in expected.items()):
            return form
    raise AssertionError(f"no form posting to …{action_ending} {expected} on {page.url}")


def multipart(
    fields: list[tuple[str, str]], files: dict[str, tuple[str, bytes, str]]
) -> tuple[bytes, str]:
    """A multipart/form-data body and its Content-Type, as a browser uploads a file."""
    boundary = f"----prodtest{uuid.uuid4().hex}"
    chunks: list[bytes] = []
    for name, value in fields:
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    for name, (filename, data, content_type) in files.items():
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


# --- the device ----------------------------------------------------------------------------------


class Browser:
    """A device: its own cookies; every request on a new connection of its own."""

    def __init__(self, live: LiveServer, agent: str) -> None:
        self.live = live
        self.agent = agent
        self.cookies = CookieJar()

    def get(self, path: str, *, headers: dict[str, str] | None = None) -> Page:
        return self.prepare("GET", path, headers=headers)()

    def follow(self, page: Page) -> Page:
        """Open the page a redirect points to, as a browser does after a form."""
        assert page.status in (301, 302, 303), f"{page.url}: {page.status}\n{page.text[:2000]}"
        return self.get(page.location)

    def submit(
        self, page: Page, form: Form, *, files: dict[str, tuple[str, bytes, str]] | None = None
    ) -> Page:
        return self.prepare_submit(page, form, files=files)()

    def prepare_submit(
        self,
        page: Page,
        form: Form,
        *,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        marker: str = "",
    ) -> Callable[[], Page]:
        """The form's POST, ready to go: calling the result connects and sends it (for
        requests released together by a barrier). The Referer is the form's page."""
        if files:
            body, content_type = multipart(form.fields, files)
        else:
            body = urlencode(form.fields).encode()
            content_type = "application/x-www-form-urlencoded"
        headers = {"Content-Type": content_type, "Referer": page.url}
        return self.prepare("POST", form.action, body=body, headers=headers, marker=marker)

    def prepare(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        marker: str = "",
    ) -> Callable[[], Page]:
        """The request with its cookies and headers decided now; calling the result opens a
        new connection and sends it.

        The connection is not opened ahead of the call: a TLS connection that is open but has
        sent nothing holds one of the server's threads (gunicorn's gthread worker does the
        handshake and then waits for the request in a thread), so a dozen such connections
        would starve the server until they time out. Behind nginx, as in production, the
        server never sees such slow clients."""
        url = urljoin(self.live.base_url + "/", path)
        parts = urlsplit(url)
        asked = urllib.request.Request(url, method=method)
        self.cookies.add_cookie_header(asked)
        sent = {
            "User-Agent": f"{self.agent} {marker}".strip(),
            "Accept-Language": "ja",
            "Connection": "close",
            **dict(asked.header_items()),
            **(headers or {}),
        }
        target = parts.path + (f"?{parts.query}" if parts.query else "")

        def send() -> Page:
            if parts.scheme == "https":
                connection: http.client.HTTPConnection = http.client.HTTPSConnection(
                    parts.hostname, parts.port, timeout=TIMEOUT, context=self.live.ssl_context
                )
            else:
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT)
            try:
                connection.request(method, target, body=body, headers=sent)
                response = connection.getresponse()
                text = response.read().decode("utf-8", "replace")
                self.cookies.extract_cookies(response, asked)
                return Page(response.status, url, response.headers, text)
            finally:
                connection.close()

        return send


def at_once(calls: list[Callable[[], T]], timeout: float = 60) -> list[T]:
    """Run every call in its own thread, all released together by a barrier; the results in
    the calls' order. Any exception fails the test; so does a thread still running after
    `timeout` seconds."""
    barrier = threading.Barrier(len(calls), timeout=timeout)
    results: list[T | None] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(i: int, call: Callable[[], T]) -> None:
        try:
            barrier.wait()
            results[i] = call()
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i, c), daemon=True) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if any(thread.is_alive() for thread in threads):
        pytest.fail(f"requests still running after {timeout:.0f} s")
    if errors:
        raise errors[0]
    return results  # type: ignore[return-value]
