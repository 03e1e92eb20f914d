"""Settings: PORTAL_* environment variables, else instance/portal.cfg, else safe defaults.

Every setting the portal reads is listed in DEFAULTS with its safe default. The same names,
prefixed with PORTAL_, are read from the environment, so `PORTAL_MAIL_SERVER=smtp.example`
sets MAIL_SERVER. `instance/portal.cfg` is a Python file of the same names in capitals.
"""

import os
import secrets
from pathlib import Path

DEFAULTS = {
    "ENV": "development",
    "DEBUG": False,
    "SECRET_KEY": None,
    # Earlier secret keys, still accepted for sessions and emailed links while a new one
    # takes over (comma-separated in the environment; newest last, as Flask expects).
    "SECRET_KEY_FALLBACKS": [],
    # Keys that encrypt the two-step (TOTP) secrets in the database, primary first
    # (comma-separated Fernet keys). Unset: kept in instance/totp_keys, made once (0600).
    "TOTP_KEYS": None,
    "DATABASE_URL": None,
    # The public address, the start of every emailed or printed link. Unset in development:
    # http://127.0.0.1:<PORT>, the port `make run` serves on (see local_base_url).
    "BASE_URL": None,
    "MAIL_SERVER": None,
    "MAIL_PORT": 587,
    "MAIL_SECURITY": "starttls",  # starttls, ssl or none
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_FROM": "portal@localhost",
    "MAIL_CA_FILE": None,  # a private relay's CA bundle, for STARTTLS/SSL
    "MAIL_TIMEOUT": 10,
    "PROXY_COUNT": 0,  # reverse proxies in front of gunicorn that set X-Forwarded-*
    # A whole request: room for a message's attachments (at most 20 MB together by default)
    # and the form around them. Anything larger is refused with the 413 page.
    "MAX_CONTENT_LENGTH": 25 * 1024 * 1024,
    "INVITATION_DAYS": 7,  # how long an emailed invitation to enroll stays usable
    "TWO_STEP_REQUIRED_FOR_STAFF": True,  # staff must set up an authenticator app
    "SEAL_P12": None,  # PKCS#12 file of the practice's PDF seal; unset: made once in instance/seal.p12
    # The password of SEAL_P12; without SEAL_P12, the generated seal's passphrase (unset: one
    # is made once into instance/seal_passphrase).
    "SEAL_PASSWORD": None,
}

# Settings whose environment value is a number or a flag rather than text.
INTEGER_SETTINGS = {"MAIL_PORT", "MAIL_TIMEOUT", "PROXY_COUNT", "MAX_CONTENT_LENGTH",
                    "INVITATION_DAYS"}
FLAG_SETTINGS = {"DEBUG", "TWO_STEP_REQUIRED_FOR_STAFF"}
# Settings that hold several values: comma-separated in the environment, a list in portal.cfg.
LIST_SETTINGS = {"SECRET_KEY_FALLBACKS", "TOTP_KEYS"}
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}
TOTP_KEY_FILE = "totp_keys"

# The port `make run` and scripts/serve.sh serve on when PORT is unset.
DEFAULT_PORT = 5000

# Secrets that appear in documentation and examples; never acceptable in production.
KNOWN_WEAK_SECRETS = {"dev", "secret", "changeme", "change-me", "development", "test"}
MIN_SECRET_LENGTH = 32


class ConfigurationError(RuntimeError):
    """The settings are unsafe or unusable; the message says what to change."""


def _read_environment(environ):
    """Return the PORTAL_* settings found in `environ`, converted to their types."""
    found = {}
    for name in DEFAULTS:
        raw = environ.get(f"PORTAL_{name}")
        if raw is None:
            continue
        if name in INTEGER_SETTINGS:
            try:
                found[name] = int(raw)
            except ValueError as error:
                raise ConfigurationError(f"PORTAL_{name} must be a whole number.") from error
        elif name in FLAG_SETTINGS:
            found[name] = parse_flag(name, raw)
        elif name in LIST_SETTINGS:
            found[name] = _parse_list(raw)
        else:
            found[name] = raw
    if "DATABASE_URL" not in found and environ.get("DATABASE_URL"):
        found["DATABASE_URL"] = environ["DATABASE_URL"]
    return found


def parse_flag(name, value):
    """A yes/no setting: 1/0, true/false, yes/no, on/off in any case; anything else refuses
    to start, naming the setting (a typo must never quietly turn a protection off)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigurationError(
        f"PORTAL_{name} must be one of 1/0, true/false, yes/no or on/off (it is {str(value)!r})."
    )


def _parse_list(value):
    """A list setting from "a, b" text, a list or nothing; blank items are dropped."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [item.strip() for item in items if item and item.strip()]


def _read_config_file(path):
    """Return the capitalised names defined in the Python file at `path`, if it exists."""
    if not path.is_file():
        return {}
    namespace = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102 - admin's own file
    return {key: value for key, value in namespace.items() if key in DEFAULTS}


def _generated_secret_key(instance_path):
    """Read the secret key kept in the instance folder, creating it (mode 0600) the first time."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        _create_once(path, secrets.token_hex(32))
    return path.read_text().strip()


def _create_once(path, content):
    """Create the private file `path` (0600) holding `content` (text or bytes), unless it
    exists already.

    Written whole under another name, then linked into place: a second worker starting at
    the same moment either makes it or finds it complete, never empty.
    """
    path = Path(path)
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.new")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb" if isinstance(content, bytes) else "w") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(partial, path)
    except FileExistsError:
        pass  # another worker made it first: theirs stands
    finally:
        partial.unlink()


def _write_private(path, text):
    """Replace the file at `path` with `text` (or bytes), atomically, readable by its owner
    only (0600)."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb" if isinstance(text, bytes) else "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def _check_fernet_keys(keys):
    from cryptography.fernet import Fernet

    for key in keys:
        try:
            Fernet(key)
        except (ValueError, TypeError) as error:
            raise ConfigurationError(
                "PORTAL_TOTP_KEYS must be Fernet keys (32 random bytes, url-safe base64), "
                "separated by commas, the primary first."
            ) from error


def totp_key_file(instance_path):
    return Path(instance_path) / TOTP_KEY_FILE


def read_totp_key_file(instance_path):
    """The TOTP encryption keys kept in the instance folder, primary first; made the first time."""
    path = totp_key_file(instance_path)
    if not path.exists():
        from cryptography.fernet import Fernet

        _create_once(path, Fernet.generate_key().decode() + "\n")
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def write_totp_key_file(instance_path, keys):
    """Store the TOTP keys (primary first) in the instance folder, mode 0600."""
    _write_private(totp_key_file(instance_path), "".join(f"{key}\n" for key in keys))


def instance_folder(environ=None):
    """Where the portal keeps its data (database, keys, outbox): PORTAL_INSTANCE_PATH, else
    `instance` in the current folder (scripts/serve.sh starts there), as an absolute path.
    The app and every command find it here, so they agree."""
    environ = os.environ if environ is None else environ
    return Path(environ.get("PORTAL_INSTANCE_PATH") or Path.cwd() / "instance").absolute()


def database_uri(url, instance_path):
    """SQLAlchemy URI: the configured URL (psycopg 3 for PostgreSQL) or the instance SQLite."""
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "portal.sqlite3")
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_settings(instance_path, environ=None, overrides=None):
    """Merge defaults, instance/portal.cfg, the environment and test overrides, in that order."""
    environ = os.environ if environ is None else environ
    settings = dict(DEFAULTS)
    settings.update(_read_config_file(Path(instance_path) / "portal.cfg"))
    settings.update(_read_environment(environ))
    settings.update(overrides or {})
    for name in FLAG_SETTINGS:  # portal.cfg and overrides are checked as strictly as the environment
        settings[name] = parse_flag(name, settings[name])
    for name in LIST_SETTINGS:
        settings[name] = _parse_list(settings[name])
    if not settings["SECRET_KEY"]:
        settings["SECRET_KEY"] = _generated_secret_key(instance_path)
    if settings["TOTP_KEYS"]:
        _check_fernet_keys(settings["TOTP_KEYS"])
    else:
        read_totp_key_file(instance_path)  # made now, once, beside the secret key
    settings["BASE_URL"] = _base_url(settings, environ)
    settings["SQLALCHEMY_DATABASE_URI"] = settings.get("SQLALCHEMY_DATABASE_URI") or database_uri(
        settings["DATABASE_URL"], instance_path
    )
    return settings


def local_base_url(environ):
    """The development address: the loopback port in PORT (as `make run` and scripts/serve.sh
    bind it), else 5000. Every process of one `make run` (gunicorn, the mail worker, `portal
    demo`) reads the same PORT, so their links agree."""
    raw = (environ.get("PORT") or "").strip() or str(DEFAULT_PORT)
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigurationError(f"PORT must be a port number from 1 to 65535 (it is {raw!r}).")
    return f"http://127.0.0.1:{int(raw)}"


def _base_url(settings, environ):
    """The configured base URL without its final slash; unset, the development address (in
    production it stays empty, and check_production refuses it)."""
    configured = (settings["BASE_URL"] or "").strip().rstrip("/")
    if configured or settings["ENV"] == "production":
        return configured
    return local_base_url(environ)


def production_problems(settings):
    """List what makes these settings unsafe for real patients (empty when they are fine)."""
    problems = []
    if not settings["BASE_URL"]:
        problems.append("PORTAL_BASE_URL must be set to the portal's https:// address (links in "
                        "emails and letters start with it).")
    elif not settings["BASE_URL"].startswith("https://"):
        problems.append("PORTAL_BASE_URL must be the portal's https:// address.")
    secret = settings["SECRET_KEY"] or ""
    if secret.lower() in KNOWN_WEAK_SECRETS or len(secret) < MIN_SECRET_LENGTH:
        problems.append(
            f"PORTAL_SECRET_KEY must be a random value of at least {MIN_SECRET_LENGTH} characters "
            "(or leave it unset to have one generated into the instance folder)."
        )
    if settings["DEBUG"]:
        problems.append("PORTAL_DEBUG must be off.")
    if not settings["MAIL_SERVER"]:
        problems.append("PORTAL_MAIL_SERVER must name the SMTP relay (without it mail only "
                        "piles up as files in the instance folder).")
    security = str(settings["MAIL_SECURITY"] or "").strip().lower()
    if security not in ("starttls", "ssl"):
        problems.append("PORTAL_MAIL_SECURITY must be starttls or ssl (mail carries sign-in links).")
    if not settings["TWO_STEP_REQUIRED_FOR_STAFF"]:
        problems.append("PORTAL_TWO_STEP_REQUIRED_FOR_STAFF must be on.")
    return problems


def check_production(settings):
    """Refuse to start in production on an insecure configuration, saying what to fix."""
    if settings["ENV"] != "production":
        return
    problems = production_problems(settings)
    if problems:
        raise ConfigurationError(
            "The portal will not start in production with these settings:\n- "
            + "\n- ".join(problems)
        )
