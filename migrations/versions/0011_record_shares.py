"""record shares: a patient shares their health record (all or some categories, 1 to 30 days)
with another provider by a link and a separate access code, both kept only as keyed hashes

Revision ID: 0011_record_shares
Revises: 0010_record_corrections
Create Date: 2026-12-02 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0011_record_shares'
down_revision = '0010_record_corrections'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('record_shares',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=120), nullable=False),
    sa.Column('whole_record', sa.Boolean(), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('link_hash', sa.String(length=64), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('wrong_codes', sa.Integer(), nullable=False),
    sa.Column('locked_at', sa.DateTime(), nullable=True),
    sa.Column('opened_count', sa.Integer(), nullable=False),
    sa.Column('last_opened_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['patient_accounts.id'], name=op.f('fk_record_shares_created_by_id_patient_accounts')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_record_shares_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_shares')),
    sa.UniqueConstraint('link_hash', name=op.f('uq_record_shares_link_hash'))
    )
    with op.batch_alter_table('record_shares', schema=None) as batch_op:
        batch_op.create_index('ix_record_shares_patient', ['patient_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('record_shares', schema=None) as batch_op:
        batch_op.drop_index('ix_record_shares_patient')

    op.drop_table('record_shares')
