"""secure messages: topics routed to staff pools, conversations, messages and internal notes,
attachments kept in the database, saved replies; outbox emails name the chart they were about

Revision ID: 0006_messages
Revises: 0005_documents
Create Date: 2026-11-30 03:52:57.615975

"""
import sqlalchemy as sa
from alembic import op

revision = '0006_messages'
down_revision = '0005_documents'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('message_topics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('pool', sa.String(length=20), nullable=False),
    sa.Column('form', sa.String(length=20), nullable=False),
    sa.Column('reply_business_days', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_topics'))
    )
    op.create_table('reply_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reply_templates'))
    )
    op.create_table('conversations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('pool', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('assigned_to_id', sa.Integer(), nullable=True),
    sa.Column('started_by_staff_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_message_at', sa.DateTime(), nullable=False),
    sa.Column('waiting_since', sa.DateTime(), nullable=True),
    sa.Column('last_staff_message_at', sa.DateTime(), nullable=True),
    sa.Column('patient_read_at', sa.DateTime(), nullable=True),
    sa.Column('patient_archived', sa.Boolean(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['assigned_to_id'], ['staff_users.id'], name=op.f('fk_conversations_assigned_to_id_staff_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_conversations_patient_id_patients')),
    sa.ForeignKeyConstraint(['started_by_staff_id'], ['staff_users.id'], name=op.f('fk_conversations_started_by_staff_id_staff_users')),
    sa.ForeignKeyConstraint(['topic_id'], ['message_topics.id'], name=op.f('fk_conversations_topic_id_message_topics')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversations'))
    )
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.create_index('ix_conversations_assigned', ['assigned_to_id', 'status', 'waiting_since'], unique=False)
        batch_op.create_index('ix_conversations_patient_latest', ['patient_id', 'patient_archived', 'last_message_at'], unique=False)
        batch_op.create_index('ix_conversations_queue', ['status', 'pool', 'waiting_since'], unique=False)

    op.create_table('messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('conversation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('patient_account_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('internal', sa.Boolean(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('submission_key', sa.String(length=43), nullable=True),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_messages_conversation_id_conversations')),
    sa.ForeignKeyConstraint(['patient_account_id'], ['patient_accounts.id'], name=op.f('fk_messages_patient_account_id_patient_accounts')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], name=op.f('fk_messages_staff_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    sa.UniqueConstraint('submission_key', name=op.f('uq_messages_submission_key'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_conversation', ['conversation_id', 'id'], unique=False)

    op.create_table('message_attachments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('message_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('filename', sa.String(length=120), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_message_attachments_message_id_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_attachments'))
    )
    with op.batch_alter_table('message_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_attachments_message_id'), ['message_id'], unique=False)

    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('patient_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_emails_patient_id'), ['patient_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbox_emails_patient_id_patients'), 'patients', ['patient_id'], ['id'])

    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attachment_message_max_mb', sa.Integer(), nullable=False,
                                      server_default='20'))



def downgrade():
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.drop_column('attachment_message_max_mb')

    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_emails_patient_id_patients'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_emails_patient_id'))
        batch_op.drop_column('patient_id')

    with op.batch_alter_table('message_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_attachments_message_id'))

    op.drop_table('message_attachments')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_conversation')

    op.drop_table('messages')
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index('ix_conversations_queue')
        batch_op.drop_index('ix_conversations_patient_latest')
        batch_op.drop_index('ix_conversations_assigned')

    op.drop_table('conversations')
    op.drop_table('reply_templates')
    op.drop_table('message_topics')
