"""A worker made ready before its first request.

A gunicorn worker compiles a Jinja template the first time a request renders it (some 5 ms
each, 0.6 s for all of them). In a hall that is the first minute of a workshop after a restart:
each of the five workers compiles the join page, the waiting page and the test page while 300
phones wait. Compiled once at the worker's start instead (deploy/gunicorn.conf.py
post_worker_init), every request after it finds them ready.
"""

from __future__ import annotations

from flask import Flask


def compile_templates(app: Flask) -> int:
    """Compile every HTML template into the app's template cache; how many."""
    names = app.jinja_env.list_templates(filter_func=lambda name: name.endswith(".html"))
    for name in names:
        app.jinja_env.get_template(name)
    return len(names)
