"""The Flask extensions, created once here and bound to the app in create_app()."""

from functools import cached_property

from flask import g
from flask_babel import Babel, Domain
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so Alembic can alter them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class _OncePerRequestDomain(Domain):
    """Flask-Babel finds the request's catalogue again for every string it translates (about
    a tenth of a list page's time): find it once per request and keep it on `g`. The locale
    is chosen once per request (create_app), so the catalogue cannot change within one."""

    def get_translations(self):
        if not g:  # outside a request: Flask-Babel's own answer
            return super().get_translations()
        found = g.get("_translations")
        if found is None:
            found = g._translations = super().get_translations()
        return found


class _Babel(Babel):
    @cached_property
    def domain_instance(self):
        return _OncePerRequestDomain(domain=self.domain)


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = _Babel()
