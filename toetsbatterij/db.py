"""Database plumbing shared by every service: the declarative base, engine and session factory.

Services flush; the request handler (or CLI command) commits once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend.

    SQLite stores datetimes without a zone; we always write UTC and re-attach the zone on read,
    so deadline arithmetic never mixes naive and aware values.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime()}


def import_all_models() -> MetaData:
    """Import every service's models so that ``Base.metadata`` is complete (Alembic, tests)."""
    from toetsbatterij.accounts import models as _accounts  # noqa: F401
    from toetsbatterij.attests import models as _attests  # noqa: F401
    from toetsbatterij.audit import models as _audit  # noqa: F401
    from toetsbatterij.complaints import models as _complaints  # noqa: F401
    from toetsbatterij.delivery import models as _delivery  # noqa: F401
    from toetsbatterij.intake import models as _intake  # noqa: F401
    from toetsbatterij.login_sessions import models as _login_sessions  # noqa: F401
    from toetsbatterij.organisations import models as _organisations  # noqa: F401
    from toetsbatterij.partners import models as _partners  # noqa: F401
    from toetsbatterij.persons import models as _persons  # noqa: F401
    from toetsbatterij.productions import models as _productions  # noqa: F401
    from toetsbatterij.rating import models as _rating  # noqa: F401
    from toetsbatterij.reports import models as _reports  # noqa: F401
    from toetsbatterij.results import models as _results  # noqa: F401
    from toetsbatterij.surveys import models as _surveys  # noqa: F401
    from toetsbatterij.trajectories import models as _trajectories  # noqa: F401

    return Base.metadata


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
    engine = create_engine(url, future=True, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, future=True)


MIGRATIONS_DIR = __import__("pathlib").Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema at ``url`` to ``revision`` through the Alembic migrations."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)
