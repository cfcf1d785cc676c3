"""Flask extensions: created here without an app, bound to one in create_app()."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import request
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints, so that migrations can alter and drop them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def client_address() -> str:
    """The client address for rate limits.

    Behind a reverse proxy, ProxyFix (enabled by TRAINER_PROXY_COUNT) has already put the real
    client into remote_addr; the X-Forwarded-For header itself is never trusted here.
    """
    return request.remote_addr or "unknown"


db = SQLAlchemy(model_class=Base)

# The base every model derives from. At run time it is db.Model (Base plus Flask-SQLAlchemy's
# table naming and query property); a type checker cannot follow an attribute of an instance as a
# base class, so it is told the declarative Base it is built on.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=client_address)
