"""名簿の取り込み（CSV・Excel）."""

from __future__ import annotations

from trainer.accounts.access import network_blueprint

bp = network_blueprint("roster_import", __name__, "/roster/import")
