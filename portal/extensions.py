"""The Flask extensions, created once here and bound to the app in create_app()."""

from functools import cached_property

import flask_babel
from flask.globals import _cv_app
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
    is chosen once per request (create_app), so the catalogue cannot change within one.

    `g` is reached through the application context's variable, not its proxy: a list page
    translates a hundred texts or more, and each trip through the proxy costs a microsecond."""

    def get_translations(self):
        context = _cv_app.get(None)
        if context is None:  # outside an app context: Flask-Babel's own answer
            return super().get_translations()
        found = context.g.get("_translations")
        if found is None:
            found = context.g._translations = super().get_translations()
        return found


class _Babel(Babel):
    @cached_property
    def domain_instance(self):
        return _OncePerRequestDomain(domain=self.domain)


def _portal_domain(flask_babel_get_domain=flask_babel.get_domain):
    """Flask-Babel's gettext, ngettext and lazy texts ask get_domain() for the domain on every
    call, which goes through `g`'s proxy three times. The portal has one domain (babel's),
    so inside an app context it is that one; outside, Flask-Babel's own answer."""
    if _cv_app.get(None) is None:
        return flask_babel_get_domain()
    return babel.domain_instance


flask_babel.get_domain = _portal_domain  # gettext() and friends look it up at each call


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = _Babel()
