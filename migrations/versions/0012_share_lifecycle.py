"""share lifecycle: why a share stopped (and staff's words when staff stopped it), and each
browser a share is open in (a hashed nonce, closed on the server by "Close")

Revision ID: 0012_share_lifecycle
Revises: 0011_record_shares
Create Date: 2026-12-07 01:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0012_share_lifecycle'
down_revision = '0011_record_shares'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('record_share_opens',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('share_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('nonce_hash', sa.String(length=64), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('open_until', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['share_id'], ['record_shares.id'], name=op.f('fk_record_share_opens_share_id_record_shares')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_share_opens')),
    sa.UniqueConstraint('nonce_hash', name=op.f('uq_record_share_opens_nonce_hash'))
    )
    with op.batch_alter_table('record_share_opens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_share_opens_share_id'), ['share_id'], unique=False)

    with op.batch_alter_table('record_shares', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_reason', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('revoked_note', sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table('record_shares', schema=None) as batch_op:
        batch_op.drop_column('revoked_note')
        batch_op.drop_column('revoked_reason')

    with op.batch_alter_table('record_share_opens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_share_opens_share_id'))

    op.drop_table('record_share_opens')
