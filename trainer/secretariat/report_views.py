"""事前・事後の比較レポート（画面と印刷用）."""

from __future__ import annotations

from trainer.accounts.access import network_blueprint

bp = network_blueprint("report", __name__, "/report")
