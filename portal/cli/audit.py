"""`portal audit ...`: looking after the audit trail."""

import click
from flask.cli import with_appcontext

from ..extensions import db
from ..services.audit import RetentionError, prune


@click.group("audit")
def audit_group():
    """Look after the audit trail."""


@audit_group.command("prune")
@click.option("--older-than-years", "years", type=int, required=True,
              help="Delete entries older than this many years (6 at least: the retention period).")
@with_appcontext
def prune_audit(years):
    """Delete audit entries past the retention period; the prune itself is recorded."""
    try:
        count = prune(years)
    except RetentionError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Deleted {count} audit entr{'y' if count == 1 else 'ies'} older than "
               f"{years} years.")


COMMANDS = (audit_group,)
