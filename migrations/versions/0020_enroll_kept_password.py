"""a password kept at enrollment's account step while another field is fixed: its argon2
hash on the invitation, for the one browser holding the key (issue 21)

Revision ID: 0020_enroll_kept_password
Revises: 0019_kept_drafts
Create Date: 2026-12-07 08:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0020_enroll_kept_password'
down_revision = '0019_kept_drafts'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("invitations") as batch:
        batch.add_column(sa.Column("kept_password_hash", sa.String(length=200), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("kept_password_holder", sa.String(length=64), nullable=False,
                                   server_default=""))


def downgrade():
    with op.batch_alter_table("invitations") as batch:
        batch.drop_column("kept_password_holder")
        batch.drop_column("kept_password_hash")
