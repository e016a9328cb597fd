"""The composition root: the app, the CLI and the psychometrics export, started from the same
configuration, open the same database and bank; the event sink publishes only what commits."""

from __future__ import annotations

import contextlib
import io

import pytest
from sqlalchemy import select

from toetsbatterij import cli, events
from toetsbatterij.clock import FrozenClock
from toetsbatterij.organisations.models import Organisation
from toetsbatterij.platform import Platform
from toetsbatterij.state_store import NullStateStore


@pytest.fixture
def instance(tmp_path, monkeypatch):
    folder = tmp_path / "instance"
    folder.mkdir()
    (folder / "config.json").write_text('{"SECRET_KEY": "s"}', encoding="utf-8")
    for name in ("TOETSBATTERIJ_DATABASE_URL", "TOETSBATTERIJ_ITEMBANK_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TOETSBATTERIJ_INSTANCE_PATH", str(folder))
    monkeypatch.chdir(tmp_path.parent)  # the working directory must not matter
    return folder


def _where(argv=()):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main([*argv, "where"]) == 0
    return dict(line.split(" ", 1) for line in out.getvalue().splitlines())


def test_app_cli_and_export_open_the_same_database(instance):
    from toetsbatterij.web import create_app

    app = create_app({"SYNC_DEFINITIONS_ON_START": False})
    app_platform = app.extensions["toetsbatterij"]
    where = _where()
    assert where["database"] == app_platform.database_url
    assert where["database"] == f"sqlite:///{instance / 'toetsbatterij.sqlite3'}"
    assert where["itembank"] == str(app_platform.itembank_path)
    assert where["instance"] == str(instance)
    # Not only the same URL: data written through the CLI is what the app reads.
    assert cli.main(["migrate"]) == 0
    with Platform.from_config(require_secret=False).unit_of_work() as db:
        db.add(Organisation(code="gedeeld", name="Gedeeld"))
    with app_platform.unit_of_work() as db:
        assert db.scalar(select(Organisation.name).where(Organisation.code == "gedeeld"))
    app_platform.close()


def test_environment_and_command_line_override_in_one_order(instance, monkeypatch, tmp_path):
    monkeypatch.setenv("TOETSBATTERIJ_DATABASE_URL", f"sqlite:///{tmp_path}/env.sqlite3")
    assert _where()["database"] == f"sqlite:///{tmp_path}/env.sqlite3"
    assert _where(["--database-url", "sqlite:///x.sqlite3"])["database"] == "sqlite:///x.sqlite3"
    (instance / "config.json").write_text(
        '{"SECRET_KEY": "s", "DATABASE_URL": "sqlite:///instance/file.sqlite3"}')
    monkeypatch.delenv("TOETSBATTERIJ_DATABASE_URL")
    assert _where()["database"] == f"sqlite:///{instance / 'file.sqlite3'}"


def test_psychometrics_export_uses_the_platform(instance, tmp_path):
    from psychometrics import platform_export

    assert cli.main(["migrate"]) == 0
    key = tmp_path / "key"
    key.write_bytes(b"0123456789abcdef0123")
    with pytest.raises(SystemExit):  # the configured (migrated, empty) database is the one read
        platform_export.main(["--organisation", "bestaat-niet", "--out", str(tmp_path / "o"),
                              "--key-file", str(key)])


def test_feed_events_are_published_only_after_commit(tmp_path):
    store = NullStateStore()
    platform = Platform.from_config({"DATABASE_URL": f"sqlite:///{tmp_path}/e.sqlite3"},
                                    instance_path=tmp_path, clock=FrozenClock(),
                                    state_store=store, require_secret=False)
    with platform.unit_of_work() as db:
        events.feed(db, platform.clock, 7, "%(name)s: aangemeld", name="A")
        assert store.events_since("room:7", 0) == []
    (seq, data), = store.events_since("room:7", 0)
    assert data["message"] == "%(name)s: aangemeld" and data["params"] == {"name": "A"}
    assert data["at"] == platform.clock.now().isoformat()
    with pytest.raises(RuntimeError), platform.unit_of_work() as db:
        events.feed(db, platform.clock, 7, "rolled back")
        raise RuntimeError("the action failed")
    assert [e["message"] for _, e in store.events_since("room:7", seq)] == []
    platform.close()


def test_a_feed_outage_does_not_fail_the_commit(tmp_path):
    class Down:
        def publish(self, *a, **k):
            raise ConnectionError("down")

    platform = Platform.from_config({"DATABASE_URL": f"sqlite:///{tmp_path}/e.sqlite3"},
                                    instance_path=tmp_path, state_store=Down(),
                                    require_secret=False)
    with platform.unit_of_work() as db:
        events.feed(db, platform.clock, 1, "x")
    platform.close()


def test_app_and_cli_sign_with_the_same_key_and_rotation_keeps_it_published(instance):
    from toetsbatterij.web import create_app

    app = create_app({"SYNC_DEFINITIONS_ON_START": False})
    assert cli.main(["migrate"]) == 0
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["signing-key"]) == 0
    first = app.extensions["toetsbatterij"].signer.kid
    assert f"key id {first}" in out.getvalue()
    assert (instance / "signing-keys" / "current.pem").stat().st_mode & 0o077 == 0
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(["rotate-signing-key"]) == 0
    client = app.test_client()
    published = {k["kid"] for k in client.get("/.well-known/jwks.json").json["keys"]}
    second = Platform.from_config(require_secret=False).signer.kid
    assert second != first and published == {first, second}
    app.extensions["toetsbatterij"].close()
