"""The demo network shows bulletins: a 注意喚起 and a 見守り通信, published, one partly read."""

from __future__ import annotations

from trainer import demo
from trainer.bulletins import reading
from trainer.extensions import db
from trainer.timeutil import today_jst


def test_the_demo_has_a_warning_and_a_newsletter(app):
    with app.test_request_context():  # the logins text builds a personal link
        demo.load(db.session, app.instance_path)
    network = demo.demo_network(db.session)
    lists = reading.for_network(db.session, network.id)
    assert [b.kind for b in lists.published] == ["warning", "newsletter"]
    assert "点検商法" in lists.published[0].title
    last = reading.last_sent(db.session, network.id, today_jst())
    assert last.days == 3 and not last.warning
    reads = reading.reads_by_organisation(db.session, lists.published[1], today_jst())
    assert sum(r.opened for r in reads) == 4
