"""The test page's question fields, drawn once per process for each way they can look
(workshops/test_fragments.py): reused only where the page would look the same."""

from __future__ import annotations

import re

from markupsafe import Markup

from tests.workshops.helpers import join, move_to, open_attempt_id, page_form, phone
from trainer.extensions import db
from trainer.workshops import test_fragments


class Drawer:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, label: str):
        def draw() -> Markup:
            self.calls += 1
            return Markup(f"<p>{label}</p>")

        return draw


def fragment(drawer: Drawer, label: str, **changes):
    given = {"question_id": 10**9, "order": ["a", "b"], "saved": None, "facts": {"x": "1"}}
    given.update(changes)
    return test_fragments.question_html(db.session, render=drawer(label), **given)


def test_a_question_is_drawn_again_whenever_it_would_look_different(app):
    drawer = Drawer()
    assert fragment(drawer, "first") == Markup("<p>first</p>")
    assert fragment(drawer, "again") == Markup("<p>first</p>")  # the same look: reused
    assert drawer.calls == 1
    fragment(drawer, "order", order=["b", "a"])
    fragment(drawer, "saved", saved="a")
    fragment(drawer, "several saved", saved=["a", "b"])
    fragment(drawer, "facts", facts={"x": "2"})  # the secretariat changed a local fact
    fragment(drawer, "another question", question_id=10**9 + 1)
    assert drawer.calls == 6
    assert fragment(drawer, "x", saved="a") == Markup("<p>saved</p>")


def test_each_phone_sees_its_own_saved_answers(app, client, login, room):
    login(client, room.trainer)
    first, second = phone(app), phone(app)
    join(first, room, org=room.orgs[0], name="見守 花子1")
    join(second, room, org=room.orgs[0], name="見守 花子2")
    move_to(client, room, "pre")
    untouched = second.get(f"/join/{room.code}/me").get_data(as_text=True)
    attempt_id = open_attempt_id(first, room)
    saved = page_form(attempt_id, only=3)
    saved["action"] = "save"
    assert first.post(f"/join/{room.code}/answers/pre", data=saved).status_code == 302
    page = first.get(f"/join/{room.code}/me").get_data(as_text=True)
    ticked = re.findall(r'name="(q\d+-[\w-]+)" value="([^"]*)"[^>]*checked', page)
    expected = {
        (name, str(value))
        for name, values in saved.items()
        if name.startswith("q")
        for value in (values if isinstance(values, list) else [values])
    }
    assert set(ticked) == expected and len(ticked) == len(expected) >= 3
    assert " checked" not in second.get(f"/join/{room.code}/me").get_data(as_text=True)
    assert " checked" not in untouched
