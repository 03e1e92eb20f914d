"""patient notices: a setting for forms and consents, the gathering of results notices on
each account, and the day-before reminder of each appointment (issue 21)

Revision ID: 0015_patient_notices
Revises: 0014_twostep_cap_and_seal
Create Date: 2026-12-07 08:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0015_patient_notices'
down_revision = '0014_twostep_cap_and_seal'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("patient_accounts") as batch:
        batch.add_column(sa.Column("notify_forms", sa.Boolean(), nullable=False,
                                   server_default=sa.true()))
        batch.add_column(sa.Column("results_waiting_since", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("results_noticed_at", sa.DateTime(), nullable=True))
        batch.create_index("ix_patient_accounts_results_waiting_since",
                           ["results_waiting_since"], unique=False)
    op.create_table(
        "appointment_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["record_entries.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entry_id", "day", name="uq_appointment_reminders_entry_day"),
    )
    with op.batch_alter_table("record_entries") as batch:
        batch.create_index("ix_record_entries_by_day", ["category", "status", "recorded_on"],
                           unique=False)


def downgrade():
    with op.batch_alter_table("record_entries") as batch:
        batch.drop_index("ix_record_entries_by_day")
    op.drop_table("appointment_reminders")
    with op.batch_alter_table("patient_accounts") as batch:
        batch.drop_index("ix_patient_accounts_results_waiting_since")
        batch.drop_column("results_noticed_at")
        batch.drop_column("results_waiting_since")
        batch.drop_column("notify_forms")
