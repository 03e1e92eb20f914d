"""two-step cap: wrong codes counted over 24 hours on each account, and the lock they end in
(issue 19)

Revision ID: 0014_twostep_cap_and_seal
Revises: 0013_role_permissions
Create Date: 2026-12-07 02:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0014_twostep_cap_and_seal'
down_revision = '0013_role_permissions'
branch_labels = None
depends_on = None

ACCOUNT_TABLES = ("patient_accounts", "staff_users")


def upgrade():
    for table in ACCOUNT_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("twostep_wrong_codes", sa.Integer(), nullable=False,
                                       server_default="0"))
            batch.add_column(sa.Column("twostep_wrong_since", sa.DateTime(), nullable=True))
            batch.add_column(sa.Column("twostep_locked_at", sa.DateTime(), nullable=True))


def downgrade():
    for table in ACCOUNT_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("twostep_locked_at")
            batch.drop_column("twostep_wrong_since")
            batch.drop_column("twostep_wrong_codes")
