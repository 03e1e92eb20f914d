"""health records: entries the practice publishes to a chart (structured facts as JSON, or a
document's file), drafts, releases and holds; the practice setting that allows holds

Revision ID: 0009_health_records
Revises: 0008_activation_letters
Create Date: 2026-11-30 07:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0009_health_records'
down_revision = '0008_activation_letters'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('record_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('recorded_on', sa.Date(), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('abnormal', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('released_at', sa.DateTime(), nullable=True),
    sa.Column('released_by_id', sa.Integer(), nullable=True),
    sa.Column('held_at', sa.DateTime(), nullable=True),
    sa.Column('held_by_id', sa.Integer(), nullable=True),
    sa.Column('hold_reason', sa.Text(), nullable=False),
    sa.Column('patient_seen_at', sa.DateTime(), nullable=True),
    sa.Column('file_type', sa.String(length=60), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('file_size', sa.Integer(), nullable=False),
    sa.Column('file_data', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_users.id'], name=op.f('fk_record_entries_created_by_id_staff_users')),
    sa.ForeignKeyConstraint(['held_by_id'], ['staff_users.id'], name=op.f('fk_record_entries_held_by_id_staff_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_record_entries_patient_id_patients')),
    sa.ForeignKeyConstraint(['released_by_id'], ['staff_users.id'], name=op.f('fk_record_entries_released_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_entries'))
    )
    with op.batch_alter_table('record_entries', schema=None) as batch_op:
        batch_op.create_index('ix_record_entries_patient_list', ['patient_id', 'category', 'status', 'recorded_on', 'id'], unique=False)
        batch_op.create_index('ix_record_entries_status', ['status', 'held_at'], unique=False)

    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('result_holds_allowed', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.drop_column('result_holds_allowed')

    with op.batch_alter_table('record_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_record_entries_status')
        batch_op.drop_index('ix_record_entries_patient_list')

    op.drop_table('record_entries')
