"""proxy access, second part: guardians' own accounts (an account without a chart), the
grant's account, and guardian invitations (issue 22)

Revision ID: 0022_guardian_accounts
Revises: 0021_proxy_grants
Create Date: 2026-12-07 22:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0022_guardian_accounts'
down_revision = '0021_proxy_grants'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('patient_accounts', schema=None) as batch_op:
        batch_op.alter_column('patient_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('holder_name', sa.String(length=200), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('holder_date_of_birth', sa.Date(), nullable=True))
    with op.batch_alter_table('patient_accounts', schema=None) as batch_op:
        batch_op.alter_column('holder_name', server_default=None)

    with op.batch_alter_table('proxy_grants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('account_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ending_notice_sent_at', sa.DateTime(), nullable=True))
        batch_op.alter_column('date_of_birth', existing_type=sa.Date(), nullable=True)
        for name in ('may_records', 'may_message', 'may_sign'):
            batch_op.add_column(sa.Column(name, sa.Boolean(), nullable=False,
                                          server_default=sa.true()))
        batch_op.add_column(sa.Column('access_ends_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('authorization_text', sa.Text(), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('authorized_name', sa.String(length=200), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('authorized_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('proxy_grants', schema=None) as batch_op:
        for name in ('may_records', 'may_message', 'may_sign', 'authorization_text',
                     'authorized_name'):
            batch_op.alter_column(name, server_default=None)
        batch_op.create_index(batch_op.f('ix_proxy_grants_account_id'), ['account_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_proxy_grants_account_id_patient_accounts'),
                                    'patient_accounts', ['account_id'], ['id'])

    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('teen_account_age', sa.Integer(), nullable=False,
                                      server_default='13'))
        batch_op.add_column(sa.Column('teen_messages_private', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.alter_column('teen_account_age', server_default=None)
        batch_op.alter_column('teen_messages_private', server_default=None)

    op.create_table('proxy_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('identity_failures', sa.Integer(), nullable=False),
    sa.Column('identity_verified_at', sa.DateTime(), nullable=True),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('voided_at', sa.DateTime(), nullable=True),
    sa.Column('void_reason', sa.String(length=30), nullable=False),
    sa.ForeignKeyConstraint(['grant_id'], ['proxy_grants.id'], name=op.f('fk_proxy_invitations_grant_id_proxy_grants')),
    sa.ForeignKeyConstraint(['sent_by_id'], ['staff_users.id'], name=op.f('fk_proxy_invitations_sent_by_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proxy_invitations')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_proxy_invitations_code_hash'))
    )
    with op.batch_alter_table('proxy_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proxy_invitations_grant_id'), ['grant_id'], unique=False)


def downgrade():
    with op.batch_alter_table('practice', schema=None) as batch_op:
        batch_op.drop_column('teen_messages_private')
        batch_op.drop_column('teen_account_age')
    with op.batch_alter_table('proxy_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proxy_invitations_grant_id'))
    op.drop_table('proxy_invitations')
    with op.batch_alter_table('proxy_grants', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_proxy_grants_account_id_patient_accounts'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_proxy_grants_account_id'))
        for name in ('authorized_at', 'authorized_name', 'authorization_text', 'access_ends_on',
                     'may_sign', 'may_message', 'may_records'):
            batch_op.drop_column(name)
        batch_op.alter_column('date_of_birth', existing_type=sa.Date(), nullable=False)
        batch_op.drop_column('ending_notice_sent_at')
        batch_op.drop_column('account_id')
    with op.batch_alter_table('patient_accounts', schema=None) as batch_op:
        batch_op.drop_column('holder_date_of_birth')
        batch_op.drop_column('holder_name')
        batch_op.alter_column('patient_id', existing_type=sa.Integer(), nullable=False)
