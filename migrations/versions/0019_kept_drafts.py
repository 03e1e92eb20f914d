"""kept drafts: what a patient had typed when the idle sign-out ended the session, encrypted,
handed back once to the same account signing in again on that browser (issue 21)

Revision ID: 0019_kept_drafts
Revises: 0016_enrollment_steps
Create Date: 2026-12-07 08:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0019_kept_drafts'
down_revision = '0016_enrollment_steps'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('kept_drafts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('session_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_kind', sa.String(length=12), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('form', sa.String(length=20), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('fields', sa.Text(), nullable=False),
    sa.Column('had_files', sa.Boolean(), nullable=False),
    sa.Column('kept_at', sa.DateTime(), nullable=False),
    sa.Column('handed_to_session_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['handed_to_session_id'], ['auth_sessions.id'], name=op.f('fk_kept_drafts_handed_to_session_id_auth_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['auth_sessions.id'], name=op.f('fk_kept_drafts_session_id_auth_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kept_drafts'))
    )
    with op.batch_alter_table('kept_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kept_drafts_handed_to_session_id'), ['handed_to_session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kept_drafts_kept_at'), ['kept_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_kept_drafts_session_id'), ['session_id'], unique=False)


def downgrade():
    with op.batch_alter_table('kept_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kept_drafts_session_id'))
        batch_op.drop_index(batch_op.f('ix_kept_drafts_kept_at'))
        batch_op.drop_index(batch_op.f('ix_kept_drafts_handed_to_session_id'))

    op.drop_table('kept_drafts')
