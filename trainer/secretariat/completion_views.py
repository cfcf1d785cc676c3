"""受講状況（構成団体×状況）と未受講者のQRシート."""

from __future__ import annotations

from trainer.accounts.access import network_blueprint

bp = network_blueprint("completion", __name__, "/completion")
