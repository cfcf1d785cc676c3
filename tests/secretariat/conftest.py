"""The import tests' network and its signed-in secretariat (the other files make their own)."""

from __future__ import annotations

import pytest

from trainer.accounts.models import Role


@pytest.fixture
def network(make_network):
    return make_network(name="みどり市見守りネットワーク")


@pytest.fixture
def secretariat(client, login, network, make_user):
    user = make_user(network, Role.SECRETARIAT, name="事務局 花子")
    login(client, user)
    return user
