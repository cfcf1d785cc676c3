"""Outgoing mail: a queue in the database (the outbox), filled in the same transaction as the
thing that caused each message, and delivered over SMTP after the commit, with retries."""
