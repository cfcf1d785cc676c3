"""The secretariat's (and a 相談員's) inbox of concern reports and the handling of one."""

from __future__ import annotations

from trainer.accounts.access import network_blueprint

bp = network_blueprint("concerns", __name__, "/concerns")
