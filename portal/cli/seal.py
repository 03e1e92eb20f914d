"""`portal verify-pdf` and `portal seal ...`: checking the practice's seal on a PDF, and the
seal certificates (list them, retire one)."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..config import ConfigurationError, instance_folder
from ..extensions import db
from ..services import audit
from ..services.consents import seal, seal_keys


@click.command("verify-pdf")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def verify_pdf(file):
    """Check the practice's seal on a PDF; exit 0 only when it is intact, this practice's
    own, and nothing was added to the file after it."""
    try:
        result = seal.verify_pdf(file.read_bytes())
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from error
    for line in _seal_report(result):
        click.echo(line)
    if not result.ok:
        click.get_current_context().exit(1)


# The exit status when there is no instance to check against (as for a usage error).
NO_INSTANCE = 2


@click.command("verify-pdf")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def verify_pdf_in_instance(context, file):
    """Check the practice's seal on a PDF; exit 0 only when it is intact, this practice's
    own, and nothing was added to the file after it. Run from the portal's folder, or from
    anywhere with PORTAL_INSTANCE_PATH set."""
    # Loading the app would make a new, empty instance (and a new seal) where none is.
    folder = instance_folder()
    if not folder.is_dir():
        click.echo(f"No portal instance at {folder}: run this from the portal's folder (the one "
                   "holding instance/) or set PORTAL_INSTANCE_PATH to the instance folder.",
                   err=True)
        context.exit(NO_INSTANCE)
    context.invoke(verify_pdf, file=file)


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


COMMANDS = (verify_pdf, seal_group)
