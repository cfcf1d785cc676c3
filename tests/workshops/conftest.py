from __future__ import annotations

import pytest

from tests.workshops.helpers import make_room


@pytest.fixture
def room(make_network, make_user, make_org, make_member):
    return make_room(make_network, make_user, make_org, make_member)
