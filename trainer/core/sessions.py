"""The session cookie, left alone by the requests that prove who they are in their URL.

Flask opens the signed session cookie on every request and, because a phone's session is
permanent, signs it again and sends it back on every response. For the phase poll, a third of
all requests in a full hall, that was a third of the request's work and a Set-Cookie each
time, while the poll's seat token already says who is asking (workshops/phase_poll.py). Such a
request gets Flask's null session: readable and empty, never written.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from trainer.workshops.phase_poll import is_seat_poll


class CookieSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if is_seat_poll(request.path, request.args):
            return self.make_null_session(app)
        return super().open_session(app, request)
