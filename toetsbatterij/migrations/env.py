"""Alembic environment. The URL comes from the Alembic config (set by ``toetsbatterij.db.upgrade``)
or from ``TOETSBATTERIJ_DATABASE_URL``. Batch mode is on for SQLite (ALTER TABLE is limited there).
"""

from __future__ import annotations

import os

from alembic import context

from toetsbatterij.db import import_all_models, make_engine

config = context.config
target_metadata = import_all_models()


def _url() -> str:
    return (config.get_main_option("sqlalchemy.url")
            or os.environ.get("TOETSBATTERIJ_DATABASE_URL")
            or "sqlite:///instance/toetsbatterij.sqlite3")


def run_migrations_offline() -> None:
    url = _url()
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite",
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
