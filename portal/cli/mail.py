"""`portal send-mail`: the mail worker, the only place mail is delivered."""

import time

import click
from flask.cli import with_appcontext

from ..extensions import db
from ..services.worker import run_once


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


COMMANDS = (send_mail,)
