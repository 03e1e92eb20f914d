"""The `portal` command: Flask's CLI plus the practice's own commands, one module per group.

- `staff`: create-staff, reset-staff-password, disable-staff, enable-staff
- `mail`: send-mail, the mail worker
- `seal`: verify-pdf, seal list, seal retire
- `setup`: setup (migrations, then the defaults) and demo
- `audit`: audit prune
- `keys`: rotate-totp-key
"""

from flask.cli import FlaskGroup

from . import audit, keys, mail, seal, setup, staff


def main():
    """Entry point of the `portal` console script."""
    # The factory imports this package to add the commands: fetch it when the command runs.
    from .. import create_app

    group = FlaskGroup(create_app=create_app, help="Run and look after the patient portal.")
    # Found before the app loads (the group's own commands come first), so it can refuse
    # where there is no instance instead of the app making one.
    group.add_command(seal.verify_pdf_in_instance)
    group(prog_name="portal")


def init_app(app):
    """Add the practice's commands to the app's CLI."""
    for module in (staff, mail, setup, audit, keys, seal):
        for command in module.COMMANDS:
            app.cli.add_command(command)
