"""A signed-in member's reports: the same form on the personal page, the secretariat's
instructions, 了解しました and answers."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("my_concerns", __name__, url_prefix="/me/reports")
