"""the staff inbox across every pool: conversations by status, oldest waiting first, read from
one index (the queue index orders them only within a pool)

Revision ID: 0007_conversation_waiting
Revises: 0006_messages
Create Date: 2026-11-30 06:30:00

"""
from alembic import op

revision = '0007_conversation_waiting'
down_revision = '0006_messages'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.create_index('ix_conversations_waiting', ['status', 'waiting_since', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index('ix_conversations_waiting')
