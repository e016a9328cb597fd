"""The Flask layer: the app factory. The only package that imports flask."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from flask import Flask, g

from toetsbatterij.clock import Clock, SystemClock
from toetsbatterij.config import load_config
from toetsbatterij.db import make_engine, make_session_factory
from toetsbatterij.state_store import StateStore
from toetsbatterij.state_store import from_url as state_store_from_url


class Services:
    """What the views hand to the services: database sessions, the clock, the state store and
    the item bank (loaded lazily, once per process)."""

    def __init__(self, config: dict[str, Any], clock: Clock, state_store: StateStore) -> None:
        self.engine = make_engine(config["DATABASE_URL"])
        self.session_factory = make_session_factory(self.engine)
        self.clock = clock
        self.state_store = state_store
        self.itembank_path = Path(config["ITEMBANK_PATH"])
        self._bank: Any = None

    @property
    def bank(self) -> Any:
        if self._bank is None:
            from toetsbatterij.delivery.content import open_bank

            self._bank = open_bank(self.itembank_path)
        return self._bank

    def set_bank(self, bank: Any) -> None:
        self._bank = bank


def create_app(test_config: dict[str, Any] | None = None, *, clock: Clock | None = None,
               state_store: StateStore | None = None) -> Flask:
    instance_path = os.environ.get("TOETSBATTERIJ_INSTANCE_PATH") or None
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    config = load_config(Path(app.instance_path) / "config.json", overrides=test_config)
    if config["DATABASE_URL"].startswith("sqlite:///instance/"):
        # A relative SQLite path is relative to the instance folder, not to the working directory.
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        config["DATABASE_URL"] = "sqlite:///" + str(
            Path(app.instance_path) / config["DATABASE_URL"].removeprefix("sqlite:///instance/"))
    app.config.from_mapping(config)
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(
        seconds=config["PERMANENT_SESSION_LIFETIME"])
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024

    services = Services(config, clock or SystemClock(),
                        state_store or state_store_from_url(config["REDIS_URL"]))
    app.extensions["toetsbatterij"] = services

    from toetsbatterij.web import candidate, errors, extensions, productions, security, staff

    extensions.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    app.register_blueprint(staff.bp)
    app.register_blueprint(candidate.bp)
    productions.init_app(app)

    @app.teardown_appcontext
    def _close_db(_exc: BaseException | None) -> None:
        db = g.pop("db", None)
        if db is not None:
            db.rollback()
            db.close()

    @app.get("/gezondheid")
    def health() -> dict[str, Any]:
        return {"status": "ok"}

    from toetsbatterij.web import cli

    cli.init_app(app)
    return app
