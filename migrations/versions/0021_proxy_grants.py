"""proxy access, first part: the parents and guardians staff record on a minor's chart, the
chart's "do not grant access to NAME" entries, and items marked confidential from every
guardian (issue 22)

Revision ID: 0021_proxy_grants
Revises: 0020_enroll_kept_password
Create Date: 2026-12-07 19:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0021_proxy_grants'
down_revision = '0020_enroll_kept_password'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('access_blocks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('basis', sa.String(length=300), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.Column('lifted_by_id', sa.Integer(), nullable=True),
    sa.Column('lifted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['added_by_id'], ['staff_users.id'], name=op.f('fk_access_blocks_added_by_id_staff_users')),
    sa.ForeignKeyConstraint(['lifted_by_id'], ['staff_users.id'], name=op.f('fk_access_blocks_lifted_by_id_staff_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_access_blocks_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_blocks'))
    )
    with op.batch_alter_table('access_blocks', schema=None) as batch_op:
        batch_op.create_index('ix_access_blocks_patient', ['patient_id'], unique=False)

    op.create_table('confidential_marks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('object_type', sa.String(length=20), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('basis', sa.String(length=20), nullable=False),
    sa.Column('service', sa.String(length=20), nullable=False),
    sa.Column('clinician_name', sa.String(length=200), nullable=False),
    sa.Column('marked_by_id', sa.Integer(), nullable=True),
    sa.Column('marked_at', sa.DateTime(), nullable=False),
    sa.Column('removed_by_id', sa.Integer(), nullable=True),
    sa.Column('removed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['marked_by_id'], ['staff_users.id'], name=op.f('fk_confidential_marks_marked_by_id_staff_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_confidential_marks_patient_id_patients')),
    sa.ForeignKeyConstraint(['removed_by_id'], ['staff_users.id'], name=op.f('fk_confidential_marks_removed_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_confidential_marks'))
    )
    with op.batch_alter_table('confidential_marks', schema=None) as batch_op:
        batch_op.create_index('ix_confidential_marks_item', ['object_type', 'object_id'], unique=False)
        batch_op.create_index('ix_confidential_marks_patient', ['patient_id'], unique=False)

    op.create_table('proxy_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('relationship', sa.String(length=30), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=False),
    sa.Column('document', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('scope_reason', sa.String(length=300), nullable=False),
    sa.Column('continues_under', sa.String(length=30), nullable=False),
    sa.Column('review_on', sa.Date(), nullable=True),
    sa.Column('suspended_at', sa.DateTime(), nullable=True),
    sa.Column('suspended_reason', sa.String(length=300), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('end_reason', sa.String(length=30), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['staff_users.id'], name=op.f('fk_proxy_grants_added_by_id_staff_users')),
    sa.ForeignKeyConstraint(['ended_by_id'], ['staff_users.id'], name=op.f('fk_proxy_grants_ended_by_id_staff_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_proxy_grants_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proxy_grants'))
    )
    with op.batch_alter_table('proxy_grants', schema=None) as batch_op:
        batch_op.create_index('ix_proxy_grants_patient', ['patient_id', 'status'], unique=False)



def downgrade():
    with op.batch_alter_table('proxy_grants', schema=None) as batch_op:
        batch_op.drop_index('ix_proxy_grants_patient')

    op.drop_table('proxy_grants')
    with op.batch_alter_table('confidential_marks', schema=None) as batch_op:
        batch_op.drop_index('ix_confidential_marks_patient')
        batch_op.drop_index('ix_confidential_marks_item')

    op.drop_table('confidential_marks')
    with op.batch_alter_table('access_blocks', schema=None) as batch_op:
        batch_op.drop_index('ix_access_blocks_patient')

    op.drop_table('access_blocks')
