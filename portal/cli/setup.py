"""`portal setup` (migrations, then the practice's defaults) and `portal demo`."""

import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import db
from ..services.demo import load_demo
from ..services.setup import install_defaults


@click.command("setup")
@with_appcontext
def setup():
    """Bring the database up to date (migrations), then add the practice's defaults."""
    # Alembic only when migrating: gunicorn's workers build the app without it (create_app).
    from flask_migrate import upgrade

    upgrade()
    made = install_defaults()
    db.session.commit()
    click.echo("Added " + " and ".join(made) + "." if made else "The database is up to date.")


@click.command("demo")
@with_appcontext
def demo():
    """Load the fictional demo practice (safe to run again: it changes nothing the second time)."""
    if current_app.config["ENV"] == "production":
        raise click.ClickException(
            "The demo practice is not loaded in production: its accounts and passwords are public."
        )

    lines = load_demo()
    db.session.commit()
    for line in lines:
        click.echo(line)


COMMANDS = (setup, demo)
