"""`portal rotate-totp-key`: the key that encrypts two-step secrets at rest."""

import click
from cryptography.fernet import Fernet
from flask import current_app
from flask.cli import with_appcontext

from ..services import secretbox


@click.command("rotate-totp-key")
@with_appcontext
def rotate_totp_key():
    """Encrypt every two-step secret with a new key, then drop the old key.

    With the keys in instance/totp_keys this makes the new key itself. With PORTAL_TOTP_KEYS
    set, put the new key first there (keep the old one after it), restart, run this, and then
    remove the old key.
    """
    configured = current_app.config.get("TOTP_KEYS") or []
    if not configured:
        changed = secretbox.rotate_key()
        click.echo(f"New two-step key in use; {changed} secret(s) re-encrypted; the old key is gone.")
        return
    if len(configured) < 2:
        raise click.ClickException(
            "PORTAL_TOTP_KEYS holds one key. Put a new key first, keep the old one after it "
            "(comma-separated), restart the portal and run this again. A new key: "
            + Fernet.generate_key().decode()
        )
    changed = secretbox.reencrypt_all()
    click.echo(f"{changed} secret(s) re-encrypted with the first key of PORTAL_TOTP_KEYS; "
               "the other keys can now be removed from it.")


COMMANDS = (rotate_totp_key,)
