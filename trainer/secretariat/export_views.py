"""書き出し（修了証・回答）."""

from __future__ import annotations

from trainer.accounts.access import network_blueprint

bp = network_blueprint("exports", __name__, "/exports")
