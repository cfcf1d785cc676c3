"""Figures for the council and the prefecture: counts only, no personal data."""

from __future__ import annotations

from trainer.accounts.access import network_blueprint

bp = network_blueprint("concern_figures", __name__, "/concerns/figures")
