"""The `portal` command: Flask's CLI plus the practice's own commands."""

import os
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from .extensions import db
from .models.staff import STAFF_ROLES
from .services import audit


def main():
    """Entry point of the `portal` console script."""
    from . import create_app

    FlaskGroup(create_app=create_app, help="Run and look after the patient portal.")(
        prog_name="portal")


def init_app(app):
    for command in (create_staff, reset_staff_password, disable_staff, enable_staff,
                    send_mail, setup, demo, audit_group):
        app.cli.add_command(command)
    app.cli.add_command(rotate_totp_key)
    app.cli.add_command(verify_pdf)
    app.cli.add_command(seal_group)


def _read_password(confirm_prompt=True):
    """The new password from PORTAL_NEW_PASSWORD, else standard input (prompted on a terminal)."""
    if os.environ.get("PORTAL_NEW_PASSWORD"):
        return os.environ["PORTAL_NEW_PASSWORD"]
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=confirm_prompt)
    return sys.stdin.readline().rstrip("\r\n")


@click.command("create-staff")
@click.argument("email")
@click.option("--name", required=True, help="The person's full name.")
@click.option("--role", required=True, type=click.Choice(sorted(STAFF_ROLES)))
@with_appcontext
def create_staff(email, name, role):
    """Add a staff account. The password comes from standard input or PORTAL_NEW_PASSWORD."""
    from .services.staff import StaffAccountError, create_staff_account

    try:
        staff = create_staff_account(email, name, role, _read_password(), audit.SYSTEM)
    except StaffAccountError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Created {staff.role_label!s} account for {staff.email}.")


@click.command("reset-staff-password")
@click.argument("email")
@with_appcontext
def reset_staff_password(email):
    """Give a staff account a new password (from standard input or PORTAL_NEW_PASSWORD)."""
    from .services.staff import StaffAccountError, set_staff_password

    try:
        staff = set_staff_password(email, _read_password(), audit.SYSTEM)
    except StaffAccountError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"New password set for {staff.email}; their other sessions were ended.")


def _switch_staff(email, action, done_text, unchanged_text):
    """Disable or enable a staff account from the command line (audited as the system)."""
    from .services import staff as staff_accounts

    try:
        staff = staff_accounts.find_staff(email)
        done = action(staff, audit.SYSTEM)
    except staff_accounts.StaffAccountError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo((done_text if done else unchanged_text).format(email=staff.email))


@click.command("disable-staff")
@click.argument("email")
@with_appcontext
def disable_staff(email):
    """Disable a staff account: it cannot sign in, and every session of it ends now."""
    from .services.staff import disable_staff as disable

    _switch_staff(email, disable, "Disabled {email}; their sessions were ended.",
                  "{email} was already disabled.")


@click.command("enable-staff")
@click.argument("email")
@with_appcontext
def enable_staff(email):
    """Let a disabled staff account sign in again."""
    from .services.staff import enable_staff as enable

    _switch_staff(email, enable, "Enabled {email}.", "{email} was not disabled.")


@click.command("send-mail")
@click.option("--watch", is_flag=True, help="Keep running, sending due mail every second.")
@click.option("--interval", default=1.0, show_default=True,
              help="Seconds between rounds (new mail goes out within about this long).")
@with_appcontext
def send_mail(watch, interval):
    """Deliver the emails waiting in the outbox (run it from cron, or with --watch).

    The only place mail is delivered: web requests only queue it. MAIL_TIMEOUT bounds how long
    a silent SMTP server can hold one round. Each round first answers the waiting
    forgot-password and forgot-username requests (services/worker.py).
    """
    from .services.worker import run_once

    if not watch:
        sent, failed = run_once()
        click.echo(f"Sent {sent} email(s); {failed} will be retried.")
        return
    while True:
        try:
            sent, failed = run_once()
        except Exception as error:  # the database may be restarting: keep watching
            db.session.rollback()
            click.echo(f"Mail delivery round failed ({type(error).__name__}); trying again.", err=True)
        else:
            if sent or failed:
                click.echo(f"Sent {sent} email(s); {failed} will be retried.")
        time.sleep(interval)


@click.command("setup")
@with_appcontext
def setup():
    """Bring the database up to date (migrations), then add the practice's defaults."""
    from flask_migrate import upgrade

    from .services.setup import install_defaults

    upgrade()
    made = install_defaults()
    db.session.commit()
    click.echo("Added " + " and ".join(made) + "." if made else "The database is up to date.")


@click.command("demo")
@with_appcontext
def demo():
    """Load the fictional demo practice (safe to run again: it changes nothing the second time)."""
    from flask import current_app

    from .services.demo import load_demo

    if current_app.config["ENV"] == "production":
        raise click.ClickException(
            "The demo practice is not loaded in production: its accounts and passwords are public."
        )

    lines = load_demo()
    db.session.commit()
    for line in lines:
        click.echo(line)


@click.group("audit")
def audit_group():
    """Look after the audit trail."""


@audit_group.command("prune")
@click.option("--older-than-years", "years", type=int, required=True,
              help="Delete entries older than this many years (6 at least: the retention period).")
@with_appcontext
def prune_audit(years):
    """Delete audit entries past the retention period; the prune itself is recorded."""
    from .services.audit import RetentionError, prune

    try:
        count = prune(years)
    except RetentionError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Deleted {count} audit entr{'y' if count == 1 else 'ies'} older than "
               f"{years} years.")


@click.command("rotate-totp-key")
@with_appcontext
def rotate_totp_key():
    """Encrypt every two-step secret with a new key, then drop the old key.

    With the keys in instance/totp_keys this makes the new key itself. With PORTAL_TOTP_KEYS
    set, put the new key first there (keep the old one after it), restart, run this, and then
    remove the old key.
    """
    from cryptography.fernet import Fernet
    from flask import current_app

    from .services import secretbox

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


@click.command("verify-pdf")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def verify_pdf(file):
    """Check the practice's seal on a PDF; exit 0 only when it is intact, this practice's
    own, and nothing was added to the file after it."""
    from .config import ConfigurationError
    from .services.consents.seal import verify_pdf as verify

    try:
        result = verify(file.read_bytes())
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from error
    for line in _seal_report(result):
        click.echo(line)
    if not result.ok:
        click.get_current_context().exit(1)


def _seal_report(result):
    """The lines `verify-pdf` prints for a seal.VerifyResult."""
    if not result.signed:
        yield f"Seal: none. {result.problem}"
    elif result.problem:
        yield f"Seal: BROKEN. {result.problem}"
    elif not result.intact:
        yield "Seal: BROKEN — the file was changed after sealing."
    elif not result.covers_whole_file:
        yield "Seal: intact, but it does NOT cover the whole file — something was added after sealing."
    elif not result.practice_seal:
        yield "Seal: intact, covers the whole file, but it is NOT this practice's seal."
    else:
        yield "Seal: intact, covers the whole file"
    if result.signer:
        whose = ("this practice's seal" if result.practice_seal
                 else "an unknown certificate, NOT this practice's seal")
        yield f"Sealed by: {result.signer} ({whose})"
    if result.retired_at and result.practice_seal:
        yield f"Sealed with a retired certificate, before {result.retired_at:%Y-%m-%d}."
    elif result.retired_at:
        yield (f"Sealed with a certificate retired on {result.retired_at:%Y-%m-%d}, dated after "
               "that: NOT this practice's seal.")
    if result.signed_at:
        yield f"Sealed at: {result.signed_at:%Y-%m-%d %H:%M:%S} UTC"
    for label, value in (("Title", result.title), ("Subject", result.subject),
                         ("Keywords", result.keywords),
                         ("Verification code", result.verification_code)):
        if value:
            yield f"{label}: {value}"


@click.group("seal")
def seal_group():
    """The practice's seal certificates: list them, retire one."""


@seal_group.command("list")
@with_appcontext
def seal_list():
    """Every seal certificate the practice has used: fingerprint, subject, state."""
    from .services.consents import seal_keys

    for fingerprint, subject, retired, current in seal_keys.certificates():
        state = (f"retired {retired:%Y-%m-%d}" if retired else "") or ("in use" if current
                                                                      else "kept to verify")
        click.echo(f"{fingerprint}  {subject}  ({state})")


@seal_group.command("retire")
@click.argument("fingerprint")
@with_appcontext
def seal_retire(fingerprint):
    """Retire a seal certificate (its SHA-256 FINGERPRINT, from `portal seal list`): PDFs it
    sealed before now still verify; nothing is sealed with it again."""
    from .config import ConfigurationError
    from .services.consents import seal_keys

    try:
        subject, retired, replaced = seal_keys.retire(fingerprint)
    except (seal_keys.SealError, ConfigurationError) as error:
        raise click.ClickException(str(error)) from error
    audit.record("seal.retired", audit.SYSTEM, object_type="seal_certificate",
                 object_id=seal_keys.fingerprint_text(fingerprint)[:40],
                 detail=f"{subject}; fingerprint {seal_keys.fingerprint_text(fingerprint)}; "
                        f"retired {retired:%Y-%m-%d %H:%M:%S} UTC")
    db.session.commit()
    click.echo(f"Retired {subject} on {retired:%Y-%m-%d}. PDFs it sealed before stay verifiable.")
    if replaced:
        click.echo("It was the generated seal: a new certificate is made at the next seal.")
    elif current_app.config.get("SEAL_P12") and seal_keys.retired_at(seal_keys.seal_certificate()):
        click.echo("PORTAL_SEAL_P12 names it: sealing refuses until it names a new certificate.")
