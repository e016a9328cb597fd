"""The migrations and the models describe the same schema (on SQLite and PostgreSQL)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from toetsbatterij.db import import_all_models, make_engine


def test_migrations_match_models(migrated_url):
    engine = make_engine(migrated_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, import_all_models())
    engine.dispose()
    assert diff == []
