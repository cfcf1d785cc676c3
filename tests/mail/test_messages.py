"""What the SMTP server receives: a UTF-8 plain-text message, the network's name as the From
name, a decoded Japanese subject, List-Unsubscribe only when the message has one, nothing that
tracks the reader; sign-in links' bodies are not kept once sent."""

from __future__ import annotations

import email
import re
from email.header import decode_header, make_header

from sqlalchemy import select

from tests.mail.conftest import SENDER, received
from trainer.extensions import db
from trainer.mail import outbox
from trainer.mail.models import OutgoingMail

NETWORK = "みどり市消費者安全確保地域協議会"
BODY = "青木 花子 様\n\n新しいお知らせがあります。\nhttp://trainer.test/n/1/bulletins/3\n"


def queue(network_id, **values) -> OutgoingMail:
    mail = outbox.queue(
        db.session,
        network_id=network_id,
        kind=values.pop("kind", "bulletin.newsletter"),
        subject_type="bulletin",
        subject_id=3,
        to="aoki@example.jp",
        subject="【みどり市】12月のお知らせ：詐欺の電話が増えています",
        body=BODY,
        sender_name=NETWORK,
        **values,
    )
    db.session.commit()
    return mail


def test_a_bulletin_like_mail_arrives_decoded_with_list_unsubscribe(app, smtp, make_network):
    network = make_network(name=NETWORK)
    smtp.start()
    unsubscribe = "http://trainer.test/unsubscribe/abc.def"
    queue(network.id, unsubscribe_url=unsubscribe)
    outbox.deliver_soon()
    [(to, message)] = received(smtp)
    assert to == ["aoki@example.jp"]
    assert message["Subject"] == "【みどり市】12月のお知らせ：詐欺の電話が増えています"
    raw = smtp.inbox.messages[0][1]
    compat = email.message_from_bytes(raw)
    assert str(make_header(decode_header(compat["From"]))) == f"{NETWORK} <{SENDER}>"
    assert message["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "text/plain" and not message.is_multipart()
    assert message.get_content_charset() == "utf-8"
    assert message.get_content() == BODY
    assert raw.isascii()
    # No tracking: no HTML, no images, no rewritten links, no per-reader identifiers.
    assert b"<img" not in raw and b"text/html" not in raw
    assert re.findall(r"https?://\S+", message.get_content()) == [
        "http://trainer.test/n/1/bulletins/3"
    ]


def test_no_list_unsubscribe_on_other_mail(app, smtp, make_network):
    smtp.start()
    queue(make_network().id, kind="concern.new")
    outbox.deliver_soon()
    [(_to, message)] = received(smtp)
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None


def test_a_permanent_refusal_is_failed_at_once(app, smtp, make_network):
    smtp.start()
    smtp.inbox.rcpt_reply = "550 5.1.1 No such user"
    queue(make_network().id)
    outbox.deliver_soon()
    mail = db.session.scalar(select(OutgoingMail))
    assert (mail.status, mail.attempts) == ("failed", 1)
    assert mail.last_error.startswith("宛先が受け付けられませんでした（550")


def test_a_sign_in_links_body_is_emptied_once_sent(app, smtp, make_network):
    smtp.start()
    mail = queue(make_network().id, kind="link.personal")
    outbox.deliver_soon()
    assert "bulletins/3" in received(smtp)[0][1].get_content()  # the person got it
    db.session.expire_all()
    stored = db.session.get(OutgoingMail, mail.id)
    assert stored.status == "sent" and stored.body == outbox.SENT_LINK_BODY
