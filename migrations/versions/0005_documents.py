"""consent documents and health forms: versions, signatures with their sealed PDFs, form
drafts and assignments; the practice's public verification switch

Revision ID: 0005_documents
Revises: 0004_encrypt_totp
Create Date: 2026-11-30 00:31:10

"""
import sqlalchemy as sa
from alembic import op

revision = '0005_documents'
down_revision = '0004_encrypt_totp'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('is_portal_consent', sa.Boolean(), nullable=False),
    sa.Column('available_to_all', sa.Boolean(), nullable=False),
    sa.Column('retired_at', sa.DateTime(), nullable=True),
    sa.Column('current_version_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents'))
    )
    op.create_table('document_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('signers', sa.String(length=20), nullable=False),
    sa.Column('validity_months', sa.Integer(), nullable=False),
    sa.Column('attestations', sa.JSON(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_document_versions_document_id_documents')),
    sa.ForeignKeyConstraint(['published_by_id'], ['staff_users.id'], name=op.f('fk_document_versions_published_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_versions')),
    sa.UniqueConstraint('document_id', 'number', name=op.f('uq_document_versions_document_id'))
    )
    with op.batch_alter_table('document_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_versions_document_id'), ['document_id'], unique=False)
    # documents and their versions point at each other: the second key comes once both exist.
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_documents_current_version', 'document_versions',
                                    ['current_version_id'], ['id'])

    op.create_table('form_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_form_drafts_document_id_documents')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_form_drafts_patient_id_patients')),
    sa.ForeignKeyConstraint(['version_id'], ['document_versions.id'], name=op.f('fk_form_drafts_version_id_document_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_drafts')),
    sa.UniqueConstraint('patient_id', 'document_id', name=op.f('uq_form_drafts_patient_id'))
    )
    with op.batch_alter_table('form_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_drafts_patient_id'), ['patient_id'], unique=False)

    op.create_table('signatures',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('version_sha256', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('signer_name', sa.String(length=200), nullable=False),
    sa.Column('signer_role', sa.String(length=20), nullable=False),
    sa.Column('signer_account_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.Column('signed_at_local', sa.String(length=40), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('paper_signed_on', sa.Date(), nullable=True),
    sa.Column('ip_address', sa.String(length=45), nullable=False),
    sa.Column('user_agent', sa.String(length=200), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('verification_code', sa.String(length=12), nullable=False),
    sa.Column('submission_key', sa.String(length=64), nullable=False),
    sa.Column('drawn_signature', sa.LargeBinary(), nullable=True),
    sa.Column('scan', sa.LargeBinary(), nullable=True),
    sa.Column('scan_type', sa.String(length=40), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reminder_sent_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_signatures_document_id_documents')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_signatures_patient_id_patients')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['staff_users.id'], name=op.f('fk_signatures_recorded_by_id_staff_users')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['staff_users.id'], name=op.f('fk_signatures_reviewed_by_id_staff_users')),
    sa.ForeignKeyConstraint(['signer_account_id'], ['patient_accounts.id'], name=op.f('fk_signatures_signer_account_id_patient_accounts')),
    sa.ForeignKeyConstraint(['version_id'], ['document_versions.id'], name=op.f('fk_signatures_version_id_document_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signatures')),
    sa.UniqueConstraint('submission_key', name=op.f('uq_signatures_submission_key')),
    sa.UniqueConstraint('verification_code', name=op.f('uq_signatures_verification_code'))
    )
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signatures_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signatures_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index('ix_signatures_patient_document_signed', ['patient_id', 'document_id', 'signed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_signatures_signed_at'), ['signed_at'], unique=False)

    op.create_table('form_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('signature_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['staff_users.id'], name=op.f('fk_form_assignments_assigned_by_id_staff_users')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_form_assignments_document_id_documents')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_form_assignments_patient_id_patients')),
    sa.ForeignKeyConstraint(['signature_id'], ['signatures.id'], name=op.f('fk_form_assignments_signature_id_signatures')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_assignments'))
    )
    with op.batch_alter_table('form_assignments', schema=None) as batch_op:
        batch_op.create_index('ix_form_assignments_patient_open', ['patient_id', 'completed_at'], unique=False)

    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_verification', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))



def downgrade():
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.drop_column('public_verification')

    with op.batch_alter_table('form_assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_form_assignments_patient_open')

    op.drop_table('form_assignments')
    with op.batch_alter_table('signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signatures_signed_at'))
        batch_op.drop_index('ix_signatures_patient_document_signed')
        batch_op.drop_index(batch_op.f('ix_signatures_expires_at'))
        batch_op.drop_index(batch_op.f('ix_signatures_document_id'))

    op.drop_table('signatures')
    with op.batch_alter_table('form_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_drafts_patient_id'))

    op.drop_table('form_drafts')
    with op.batch_alter_table('document_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_versions_document_id'))

    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_constraint('fk_documents_current_version', type_='foreignkey')
    op.drop_table('document_versions')
    op.drop_table('documents')
