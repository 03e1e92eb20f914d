"""record corrections: a patient's request to correct an entry of their health record, tied
to the secure-message conversation it started, with the outcome staff record

Revision ID: 0010_record_corrections
Revises: 0009_health_records
Create Date: 2026-12-01 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0010_record_corrections'
down_revision = '0009_health_records'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('record_corrections',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_record_corrections_conversation_id_conversations')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['staff_users.id'], name=op.f('fk_record_corrections_decided_by_id_staff_users')),
    sa.ForeignKeyConstraint(['entry_id'], ['record_entries.id'], name=op.f('fk_record_corrections_entry_id_record_entries')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_record_corrections_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_corrections'))
    )
    with op.batch_alter_table('record_corrections', schema=None) as batch_op:
        batch_op.create_index('ix_record_corrections_entry', ['entry_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_corrections_conversation_id'), ['conversation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('record_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_corrections_conversation_id'))
        batch_op.drop_index('ix_record_corrections_entry')

    op.drop_table('record_corrections')
