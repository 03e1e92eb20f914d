"""The `portal` command: Flask's CLI plus the practice's own commands."""

import os
import sys
import time

import click
from flask.cli import FlaskGroup, with_appcontext

from .extensions import db
from .models.staff import STAFF_ROLES


def main():
    """Entry point of the `portal` console script."""
    from . import create_app

    FlaskGroup(create_app=create_app, help="Run and look after the patient portal.")(
        prog_name="portal")


def init_app(app):
    for command in (create_staff, reset_staff_password, send_mail, demo):
        app.cli.add_command(command)


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
        staff = create_staff_account(email, name, role, _read_password())
    except StaffAccountError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Created {staff.role_label} account for {staff.email}.")


@click.command("reset-staff-password")
@click.argument("email")
@with_appcontext
def reset_staff_password(email):
    """Give a staff account a new password (from standard input or PORTAL_NEW_PASSWORD)."""
    from .services.staff import StaffAccountError, set_staff_password

    try:
        staff = set_staff_password(email, _read_password())
    except StaffAccountError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"New password set for {staff.email}; their other sessions were ended.")


@click.command("send-mail")
@click.option("--watch", is_flag=True, help="Keep running, sending due mail every few seconds.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds.")
@with_appcontext
def send_mail(watch, interval):
    """Deliver the emails waiting in the outbox (run it from cron, or with --watch)."""
    from .services.mail import deliver_due

    if not watch:
        sent, failed = deliver_due()
        click.echo(f"Sent {sent} email(s); {failed} will be retried.")
        return
    while True:
        try:
            sent, failed = deliver_due()
        except Exception as error:  # the database may be restarting: keep watching
            db.session.rollback()
            click.echo(f"Mail delivery round failed ({type(error).__name__}); trying again.", err=True)
        else:
            if sent or failed:
                click.echo(f"Sent {sent} email(s); {failed} will be retried.")
        time.sleep(interval)


@click.command("demo")
@with_appcontext
def demo():
    """Load the fictional demo practice (safe to run again: it changes nothing the second time)."""
    from .services.demo import load_demo

    for line in load_demo():
        click.echo(line)
