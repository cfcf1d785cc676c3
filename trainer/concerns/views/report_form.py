"""The public report form behind the badge's second QR code: /r/<token>."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("report_form", __name__)
