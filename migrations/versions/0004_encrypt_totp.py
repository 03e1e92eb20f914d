"""encrypt the two-step (TOTP) secrets stored before 0003 made room for ciphertext

Every plain base32 secret in staff_users and patient_accounts is encrypted with the primary
TOTP key (PORTAL_TOTP_KEYS, else instance/totp_keys, made now if missing). Downgrade writes
them back in plain text, which the older code expects.

Revision ID: 0004_encrypt_totp
Revises: 0003_hardening
Create Date: 2026-11-30 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0004_encrypt_totp"
down_revision = "0003_hardening"
branch_labels = None
depends_on = None

TABLES = ("staff_users", "patient_accounts")


def _convert(change):
    """Apply change(stored) -> new value or None to every stored secret."""
    connection = op.get_bind()
    for table in TABLES:
        rows = connection.execute(
            sa.text(f"SELECT id, totp_secret FROM {table} WHERE totp_secret IS NOT NULL")  # noqa: S608
        ).all()
        for row_id, stored in rows:
            new_value = change(stored)
            if new_value is not None and new_value != stored:
                connection.execute(
                    sa.text(f"UPDATE {table} SET totp_secret = :value WHERE id = :id"),  # noqa: S608
                    {"value": new_value, "id": row_id},
                )


def upgrade():
    if context_is_offline():
        return
    from portal.services import secretbox  # needs the app (keys); Flask-Migrate provides it

    _convert(lambda stored: secretbox.encrypt(stored) if secretbox.is_plain(stored) else None)


def downgrade():
    if context_is_offline():
        return
    from portal.services import secretbox

    _convert(lambda stored: None if secretbox.is_plain(stored) else secretbox.decrypt(stored))


def context_is_offline():
    from alembic import context

    return context.is_offline_mode()
