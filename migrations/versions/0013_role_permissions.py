"""role permissions: the practice's own choices in the staff role table (which roles may do
each action a practice may change), as JSON on the practice row; none stored means the
defaults in services/permissions.py

Revision ID: 0013_role_permissions
Revises: 0012_share_lifecycle
Create Date: 2026-12-07 01:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0013_role_permissions'
down_revision = '0012_share_lifecycle'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role_permissions', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.drop_column('role_permissions')
