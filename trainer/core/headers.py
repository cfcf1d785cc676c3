"""Security headers on every response, and no-store on the pages that show a secret link."""

from __future__ import annotations

from flask import Response, current_app, request

CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


# Pages that show a link that signs someone in or hands out a role, or that are opened with one:
# a shared PC's browser cache, its back button or a caching proxy must not keep them. One list
# here rather than a header line in each view, so that a test can walk it and a new page of the
# kind is added in one place. Downloads (CSV, Excel, PDF) set no-store in trainer.tables.download.
NO_STORE_ENDPOINTS = frozenset(
    {
        # a member's personal link and its QR code; the page a staff member sees on opening one
        "roster.member_link",
        "learning.personal_link",
        # one-time password links (/reset/…), shown to the secretariat or the admin, and opened
        "staff.reset_link",
        "admin.reset_link",
        "auth.reset_password",
        # invitation links (/invite/…), shown once after inviting or reissuing, and opened
        "staff.new",
        "staff.reissue_invitation",
        "admin.network_new",
        "admin.reissue_invitation",
        "auth.invitation",
        "auth.invitation_accept",
        "auth.invitation_decline",
        # the workshop's control page (projector link, join QR) and the projector link's pages
        "workshops.detail",
        "projector.page",
        "projector.live",
        # the badge's report form (/r/<token>) and its thanks page
        "report_form.form",
        "report_form.sent",
        # the one-click stop of bulletin mails (/bulletins/stop/<token>) and its answer
        "bulletin_mail.confirm",
        "bulletin_mail.stop",
    }
)


def add_security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    # same-origin: token URLs (/m/…, /reset/…) never leak to other sites in a Referer header,
    # while CSRF's referrer check on HTTPS still sees our own origin.
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.endpoint in NO_STORE_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
    return response
