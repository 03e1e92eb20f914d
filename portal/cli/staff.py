"""Staff accounts from the command line: create one, set its password, disable or enable it.
Each change is audited as the system."""

import os
import sys

import click
from flask.cli import with_appcontext

from ..extensions import db
from ..models.staff import STAFF_ROLES
from ..services import audit
from ..services import staff as staff_accounts


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
    try:
        staff = staff_accounts.create_staff_account(email, name, role, _read_password(),
                                                    audit.SYSTEM)
    except staff_accounts.StaffAccountError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Created {staff.role_label!s} account for {staff.email}.")


@click.command("reset-staff-password")
@click.argument("email")
@with_appcontext
def reset_staff_password(email):
    """Give a staff account a new password (from standard input or PORTAL_NEW_PASSWORD)."""
    try:
        staff = staff_accounts.set_staff_password(email, _read_password(), audit.SYSTEM)
    except staff_accounts.StaffAccountError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"New password set for {staff.email}; their other sessions were ended.")


def _switch_staff(email, action, done_text, unchanged_text):
    """Disable or enable a staff account from the command line (audited as the system)."""
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
    _switch_staff(email, staff_accounts.disable_staff, "Disabled {email}; their sessions were ended.",
                  "{email} was already disabled.")


@click.command("enable-staff")
@click.argument("email")
@with_appcontext
def enable_staff(email):
    """Let a disabled staff account sign in again."""
    _switch_staff(email, staff_accounts.enable_staff, "Enabled {email}.", "{email} was not disabled.")


COMMANDS = (create_staff, reset_staff_password, disable_staff, enable_staff)
