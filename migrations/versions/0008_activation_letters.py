"""activation letters: an invitation may be printed (kind "letter") with a one-time code kept
only as a keyed hash; the practice sets how many days a code works

Revision ID: 0008_activation_letters
Revises: 0007_conversation_waiting
Create Date: 2026-11-30 07:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0008_activation_letters'
down_revision = '0007_conversation_waiting'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=10), nullable=False,
                                      server_default='email'))
        batch_op.add_column(sa.Column('code_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_invitations_code_hash'), ['code_hash'])

    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('activation_code_days', sa.Integer(), nullable=False,
                                      server_default='30'))


def downgrade():
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.drop_column('activation_code_days')

    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_invitations_code_hash'), type_='unique')
        batch_op.drop_column('code_hash')
        batch_op.drop_column('kind')
