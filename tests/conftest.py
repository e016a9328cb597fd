"""Shared fixtures: the app on SQLite or PostgreSQL (TOETSBATTERIJ_TEST_DATABASE_URL), a frozen
clock, a small item bank, seeded agencies/staff/sessions, and the Redis state store.

Every test that uses the database (fixtures ``app``, ``client``, ``db_session``, ``world``...)
gets the ``db`` marker automatically, so ``pytest -m db`` runs exactly those on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bankfixture import write_bank  # noqa: E402

from toetsbatterij.accounts import service as accounts  # noqa: E402
from toetsbatterij.accounts.models import ROLES  # noqa: E402
from toetsbatterij.clock import FrozenClock  # noqa: E402
from toetsbatterij.db import import_all_models, make_engine, upgrade  # noqa: E402
from toetsbatterij.delivery import definitions, sessions  # noqa: E402
from toetsbatterij.delivery.identity import make_national_number  # noqa: E402
from toetsbatterij.organisations import service as organisations  # noqa: E402

DB_FIXTURES = {"app", "client", "db_session", "world", "make_app", "migrated_url"}
PASSWORD = "correct horse battery staple"
START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


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
    from toetsbatterij.delivery.content import open_bank

    return open_bank(bank_dir)


@pytest.fixture(scope="session")
def migrated_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database brought to head through the Alembic migrations, once per test session."""
    url = os.environ.get("TOETSBATTERIJ_TEST_DATABASE_URL")
    if not url:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
    else:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    return url


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
                  "ITEMBANK_PATH": str(content.bank.root), **overrides}
        os.environ["TOETSBATTERIJ_INSTANCE_PATH"] = str(tmp_path / "instance")
        app = create_app(config, clock=overrides.pop("clock", None) or clock)
        app.extensions["toetsbatterij"].set_bank(content)
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


class World:
    """Seeded data: two agencies, each with a location, one account per role, a session opened
    at START with candidates. ``world.a`` / ``world.b`` are dicts of ids."""

    def __init__(self, db: Any, clock: FrozenClock, content: Any) -> None:
        self.db, self.clock = db, clock
        defs = definitions.sync_definitions(db, clock, definitions.manifests_of_bank(content.bank),
                                            content.bank_version)
        self.definitions = {d.code: d for d in defs}
        orgs = organisations.seed_agencies(db)
        self.a = self._tenant(orgs[1], "antwerpen")
        self.b = self._tenant(orgs[2], "gent")
        db.commit()

    def _tenant(self, org: Any, slug: str) -> dict[str, Any]:
        loc = organisations.add_location(self.db, org.id, name=f"Lokaal {slug}")
        staff = {role: accounts.create_account(
            self.db, self.clock, organisation_id=org.id, email=f"{role}@{slug}.test",
            display_name=f"{role} {slug}", role=role, password=PASSWORD).id for role in ROLES}
        sess = sessions.create_session(
            self.db, self.clock, organisation_id=org.id, actor_id=None, location_id=loc.id,
            test_definition_id=self.definitions["lezen-luisteren"].id,
            starts_at=self.clock.now() - dt.timedelta(minutes=30),
            ends_at=self.clock.now() + dt.timedelta(hours=8))
        cands = [self.candidate(org.id, sess.id, i) for i in range(3)]
        return {"org": org.id, "domain": f"{slug}.test", "location": loc.id, "staff": staff, "session": sess.id,
                "session_code": sess.code, "candidates": [c.id for c in cands],
                "access_codes": [c.access_code for c in cands]}

    def candidate(self, org_id: int, session_id: int, i: int, **extra: Any) -> Any:
        birth = dt.date(1980 + i, 1 + i % 12, 10 + i)
        data = sessions.CandidateInput(first_name=f"Kandidaat{i}", last_name=f"Achternaam{i}",
                                       birth_date=birth, id_kind="rrn",
                                       id_number=make_national_number(birth, 100 + 2 * i + org_id),
                                       **extra)
        return sessions.register_candidate(self.db, self.clock, organisation_id=org_id,
                                           actor_id=None, session_id=session_id, data=data)

    def open(self, tenant: dict[str, Any]) -> None:
        sessions.open_session(self.db, self.clock, organisation_id=tenant["org"], actor_id=None,
                              session_id=tenant["session"])
        self.db.commit()


@pytest.fixture
def world(db_session: Any, clock: FrozenClock, content: Any) -> World:
    return World(db_session, clock, content)


def login_staff(client: Any, tenant: dict[str, Any], role: str) -> Any:
    resp = client.post("/beheer/aanmelden",
                       data={"email": f"{role}@{tenant['domain']}", "password": PASSWORD})
    assert resp.status_code == 302, resp.data[:500]
    return resp


@pytest.fixture(scope="session")
def redis_url() -> str:
    return os.environ.get("TOETSBATTERIJ_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
