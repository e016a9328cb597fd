"""The Flask layer: the app factory. The only package that imports flask."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask

from toetsbatterij.clock import Clock
from toetsbatterij.platform import Platform
from toetsbatterij.state_store import StateStore


def create_app(test_config: dict[str, Any] | None = None, *, clock: Clock | None = None,
               state_store: StateStore | None = None, platform: Platform | None = None) -> Flask:
    """The Flask app around a :class:`~toetsbatterij.platform.Platform` (the composition root),
    built here from the one configuration unless one is given."""
    if platform is None:
        platform = Platform.from_config(test_config, clock=clock, state_store=state_store)
    app = Flask(__name__, instance_path=str(platform.instance_path))
    config = platform.config
    app.config.from_mapping(config)
    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(
        seconds=config["PERMANENT_SESSION_LIFETIME"])
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
    app.extensions["toetsbatterij"] = platform
    if config["SYNC_DEFINITIONS_ON_START"]:
        _sync_definitions(app, platform)

    from toetsbatterij.web import (
        attests,
        auth,
        candidate,
        complaints,
        errors,
        extensions,
        ids,
        intake,
        literacy,
        monitoring,
        partner_api,
        partners,
        persons,
        productions,
        rating,
        reports,
        security,
        staff,
        studio,
        surveys,
        trajectories,
    )

    ids.init_app(app)  # before the blueprints: their routes use the ``id`` converter
    extensions.init_app(app)
    auth.init_app(app)
    literacy.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    app.register_blueprint(staff.bp)
    app.register_blueprint(candidate.bp)
    productions.init_app(app)
    rating.init_app(app)
    reports.init_app(app)
    attests.init_app(app)
    app.register_blueprint(surveys.bp)
    app.register_blueprint(monitoring.bp)
    app.register_blueprint(intake.bp)
    persons.init_app(app)
    trajectories.init_app(app)
    complaints.init_app(app)
    partner_api.init_app(app)
    partners.init_app(app)
    studio.init_app(app)

    from toetsbatterij.web import unit_of_work

    unit_of_work.init_app(app)

    if config["OUTAGE_BEAT"] and not config["TESTING"]:
        # Fair time: each worker beats once it serves (a forked worker starts its own beat).
        app.before_request(platform.ensure_beating)

    @app.get("/gezondheid")
    def health() -> dict[str, Any]:
        return {"status": "ok"}

    from toetsbatterij.web import cli

    cli.init_app(app)
    return app


def warm_up(app: Flask) -> None:
    """Do once, at start, what the first requests would otherwise do in every worker: build the
    bank's test forms and their pools (and run their selection code once), compile the
    candidate's templates. A warm-up that fails (a database not migrated yet) only logs."""
    try:
        app.extensions["toetsbatterij"].warm_up()
    except Exception:  # noqa: BLE001 - the first request does the same work, or reports it
        app.logger.warning("warm-up of the test forms failed", exc_info=True)
    for name in app.jinja_env.list_templates(filter_func=lambda n: n.startswith("candidate/")):
        app.jinja_env.get_template(name)


def _sync_definitions(app: Flask, platform: Platform) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with platform.unit_of_work() as db:
            platform.sync_definitions(db)
    except SQLAlchemyError:
        # A database without the schema yet: `python -m toetsbatterij.cli migrate` first.
        app.logger.warning("test definitions not synchronised (database not migrated?)",
                           exc_info=True)
