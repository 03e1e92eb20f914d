"""The patient portal: create_app() builds the Flask application."""

import functools
import os
from pathlib import Path

from werkzeug.middleware.proxy_fix import ProxyFix

from . import database
from .config import check_production, instance_folder, load_settings
from .extensions import babel, csrf, db, login_manager


def create_app(test_config=None, *, migrations=True):
    """Build the app from settings (see config.py); `test_config` overrides them in tests.

    `migrations=False` leaves out Flask-Migrate (and Alembic, about 11 MB resident): gunicorn's
    workers (wsgi.py) never migrate; the `portal` command and the tests do.
    """
    instance_path = (test_config or {}).get("INSTANCE_PATH") or str(instance_folder())
    from .web.errors import PortalFlask

    app = PortalFlask(__name__, instance_path=os.path.abspath(instance_path),
                      instance_relative_config=True)
    _private_folder(app.instance_path)
    settings = load_settings(app.instance_path, overrides=test_config)
    check_production(settings)
    app.config.from_mapping(settings)  # SECRET_KEY_FALLBACKS too: Flask's sessions accept them
    database.protect_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])
    _configure_framework(app)
    _trust_proxies(app)

    db.init_app(app)
    database.init_app(app)
    if migrations:
        from flask_migrate import Migrate

        Migrate(render_as_batch=True).init_app(
            app, db, directory=str(Path(__file__).parent.parent / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=lambda: "en", timezone_selector=lambda: "UTC")
    login_manager.init_app(app)

    from . import cli, web

    web.init_app(app)
    cli.init_app(app)
    _register_blueprints(app)
    return app


def _trust_proxies(app):
    """Behind PROXY_COUNT reverse proxies, take the address, scheme and host they pass on."""
    count = app.config["PROXY_COUNT"]
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def _private_folder(path):
    """The instance folder (database, keys, outbox) is its owner's alone: mode 0700."""
    Path(path).mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def _configure_framework(app):
    """Flask and extension settings that follow from the portal's own settings."""
    secure = app.config["BASE_URL"].startswith("https://")
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    app.config.update(
        # The __Host- prefix pins the cookie to this host and path, over HTTPS only.
        SESSION_COOKIE_NAME="__Host-portal" if secure else "portal_session",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PREFERRED_URL_SCHEME="https" if secure else "http",
        # Flask-WTF's strict check wants a same-origin Referer, but every page sends
        # Referrer-Policy: no-referrer, so browsers send none: web/headers.py checks the
        # Sec-Fetch-Site and Origin headers instead, and the token does the rest.
        WTF_CSRF_SSL_STRICT=False,
        BABEL_DEFAULT_LOCALE="en",
        TEMPLATES_AUTO_RELOAD=app.config["DEBUG"],
    )


def _register_blueprints(app):
    """Every blueprint, and the nesting of the staff side of auth and twostep under staff
    (which owns /staff/...: "staff.auth.*", "staff.twostep.*"). Blueprints never import each
    other; the nesting is done here."""
    from .blueprints.admin import bp as admin_bp
    from .blueprints.auth import bp as auth_bp
    from .blueprints.consents import bp as consents_bp
    from .blueprints.enroll import bp as enroll_bp
    from .blueprints.messages import bp as messages_bp
    from .blueprints.patient import bp as patient_bp
    from .blueprints.profile import bp as profile_bp
    from .blueprints.public import bp as public_bp
    from .blueprints.record_share import bp as record_share_bp
    from .blueprints.records import bp as records_bp
    from .blueprints.recovery import bp as recovery_bp
    from .blueprints.staff import bp as staff_bp
    from .blueprints.twostep import bp as twostep_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(patient_bp)
    app.register_blueprint(consents_bp)
    app.register_blueprint(messages_bp)
    app.register_blueprint(records_bp)
    app.register_blueprint(enroll_bp)
    app.register_blueprint(recovery_bp)
    app.register_blueprint(record_share_bp)
    app.register_blueprint(profile_bp)
    app.register_blueprint(twostep_bp)
    _nest_staff_pages()
    app.register_blueprint(staff_bp, url_prefix="/staff")
    app.register_blueprint(admin_bp, url_prefix="/admin")


@functools.cache
def _nest_staff_pages():
    """Nest the staff side of auth and twostep under staff, once per process: a blueprint's
    setup is closed once an app registered it, and the tests build many apps."""
    from .blueprints import auth, staff, twostep

    staff.bp.register_blueprint(auth.staff_bp)
    staff.bp.register_blueprint(twostep.staff_bp)
