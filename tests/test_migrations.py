"""The migrations build the schema the models describe: nothing missing or extra (an index
in a model and not in a migration would be absent from every real database)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.extensions import db


def test_the_migrated_database_matches_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []


def test_the_staff_inbox_across_pools_reads_its_own_index(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        indexes = {index["name"]: index["column_names"]
                   for index in context.dialect.get_indexes(connection, "conversations")}
    assert indexes["ix_conversations_waiting"] == ["status", "waiting_since", "id"]
    assert indexes["ix_conversations_queue"] == ["status", "pool", "waiting_since"]
