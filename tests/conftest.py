"""Shared fixtures: the app on SQLite or PostgreSQL (TOETSBATTERIJ_TEST_DATABASE_URL), a frozen
clock, a small item bank, seeded agencies/staff/sessions, and the Redis state store.

Every test that uses the database (fixtures ``app``, ``client``, ``db_session``, ``world``...)
gets the ``db`` marker automatically, so ``pytest -m db`` runs exactly those on PostgreSQL.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bankfixture import write_bank  # noqa: E402
from delivery_support import START, World  # noqa: E402

from toetsbatterij.accounts import service as accounts  # noqa: E402
from toetsbatterij.clock import FrozenClock  # noqa: E402
from toetsbatterij.db import import_all_models, make_engine, upgrade  # noqa: E402

DB_FIXTURES = {"app", "client", "db_session", "world", "make_app", "migrated_url"}


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    for item in items:
        if DB_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)


@pytest.fixture(scope="session", autouse=True)
def _fast_hashes() -> None:
    # Production keeps argon2's defaults; tests only need the same code path, fast.
    accounts.configure_hasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(scope="session")
def bank_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_bank(tmp_path_factory.mktemp("bank") / "itembank")


@pytest.fixture(scope="session")
def content(bank_dir: Path) -> Any:
    from delivery_support import open_forms as open_bank

    return open_bank(bank_dir)


@pytest.fixture(scope="session")
def migrated_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database brought to head through the Alembic migrations, once per test session.

    On PostgreSQL each test process gets a schema of its own (search_path), so two runs (or
    xdist workers) sharing the test database never drop each other's tables.
    """
    url = os.environ.get("TOETSBATTERIJ_TEST_DATABASE_URL")
    if not url:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
        upgrade(url)
        yield url
        return
    schema = f"tb_test_{os.getpid()}"
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    scoped = url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"
    upgrade(scoped)
    yield scoped
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


def _clean(url: str) -> None:
    metadata = import_all_models()
    engine = make_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(t.name for t in metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())
    engine.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def make_app(migrated_url: str, clock: FrozenClock, content: Any, tmp_path: Path) -> Iterator[Any]:
    from toetsbatterij.web import create_app

    made: list[Any] = []

    def factory(**overrides: Any) -> Any:
        config = {"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": migrated_url,
                  "SESSION_COOKIE_SECURE": False, "REMEMBER_COOKIE_SECURE": False,
                  "ITEMBANK_PATH": str(content.bank.root), "SYNC_DEFINITIONS_ON_START": False,
                  **overrides}
        os.environ["TOETSBATTERIJ_INSTANCE_PATH"] = str(tmp_path / "instance")
        app = create_app(config, clock=overrides.pop("clock", None) or clock)
        app.extensions["toetsbatterij"].set_forms(content)
        made.append(app)
        return app

    _clean(migrated_url)
    yield factory
    for app in made:
        app.extensions["toetsbatterij"].engine.dispose()
    os.environ.pop("TOETSBATTERIJ_INSTANCE_PATH", None)


@pytest.fixture
def app(make_app: Any) -> Any:
    return make_app(WTF_CSRF_ENABLED=False)


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def db_session(app: Any) -> Iterator[Any]:
    session = app.extensions["toetsbatterij"].session_factory()
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def world(db_session: Any, clock: FrozenClock, content: Any) -> World:
    return World(db_session, clock, content)


@pytest.fixture(scope="session")
def redis_url() -> str:
    return os.environ.get("TOETSBATTERIJ_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
