"""enrollment in steps: an account kept "pending" until the portal consent is signed holds the
address a letter's patient typed, to confirm when enrollment finishes (issue 21)

Revision ID: 0016_enrollment_steps
Revises: 0015_patient_notices
Create Date: 2026-12-07 08:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0016_enrollment_steps'
down_revision = '0015_patient_notices'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("patient_accounts") as batch:
        batch.add_column(sa.Column("email_to_confirm", sa.String(length=254), nullable=False,
                                   server_default=""))


def downgrade():
    with op.batch_alter_table("patient_accounts") as batch:
        batch.drop_column("email_to_confirm")
