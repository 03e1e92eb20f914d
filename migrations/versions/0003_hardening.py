"""account-security hardening: encrypted TOTP secrets, staff account life, lock notices,
address rate limits, server-side session data, deferred recovery requests, cleared emails

Revision ID: 0003_hardening
Revises: 0002_patient_accounts
Create Date: 2026-11-29 22:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0003_hardening"
down_revision = "0002_patient_accounts"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("staff_users") as batch:
        batch.alter_column("totp_secret", type_=sa.String(255), existing_type=sa.String(64))
        batch.add_column(sa.Column("password_changed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("disabled_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("lock_notice_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("patient_accounts") as batch:
        batch.alter_column("totp_secret", type_=sa.String(255), existing_type=sa.String(64))
        batch.add_column(sa.Column("wrong_answers_total", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("self_reset_closed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("lock_notice_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("auth_sessions") as batch:
        batch.add_column(sa.Column("data", sa.JSON(), nullable=True))
    with op.batch_alter_table("outbox_emails") as batch:
        batch.add_column(sa.Column("template", sa.String(60), nullable=False, server_default=""))
        batch.add_column(sa.Column("body_sha256", sa.String(64), nullable=False,
                                   server_default=""))
    op.create_table(
        "rate_limit_hits",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("bucket", sa.String(40), nullable=False),
        sa.Column("ip", sa.String(45), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_limit_hits")),
    )
    op.create_index("ix_rate_limit_hits_at", "rate_limit_hits", ["at"])
    op.create_index("ix_rate_limit_hits_bucket_ip_at", "rate_limit_hits", ["bucket", "ip", "at"])
    op.create_table(
        "recovery_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("name", sa.String(254), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("ip", sa.String(45), nullable=False),
        sa.Column("user_agent", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_requests")),
    )


def downgrade():
    op.drop_table("recovery_requests")
    op.drop_index("ix_rate_limit_hits_bucket_ip_at", "rate_limit_hits")
    op.drop_index("ix_rate_limit_hits_at", "rate_limit_hits")
    op.drop_table("rate_limit_hits")
    with op.batch_alter_table("outbox_emails") as batch:
        batch.drop_column("body_sha256")
        batch.drop_column("template")
    with op.batch_alter_table("auth_sessions") as batch:
        batch.drop_column("data")
    with op.batch_alter_table("patient_accounts") as batch:
        batch.drop_column("lock_notice_at")
        batch.drop_column("self_reset_closed_at")
        batch.drop_column("wrong_answers_total")
        batch.alter_column("totp_secret", type_=sa.String(64), existing_type=sa.String(255))
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("lock_notice_at")
        batch.drop_column("disabled_at")
        batch.drop_column("must_change_password")
        batch.drop_column("password_changed_at")
        batch.alter_column("totp_secret", type_=sa.String(64), existing_type=sa.String(255))
