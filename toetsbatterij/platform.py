"""The composition root: one ``Platform`` built from the one configuration.

The web app (``toetsbatterij.web.create_app``), every CLI command (``toetsbatterij.cli``), the
psychometrics platform export and the benchmarks build their parts here, so wherever the
platform is started it opens the same database, item bank, clock and state store:

    defaults -> instance file (``<instance>/config.json``) -> ``TOETSBATTERIJ_*`` environment
    -> overrides (tests)

The instance folder is ``$TOETSBATTERIJ_INSTANCE_PATH`` or ``./instance``; a
``sqlite:///instance/<file>`` URL (the default) always names a file in that folder, whatever the
working directory, for the app and the commands alike.

Units of work: :meth:`Platform.unit_of_work` hands out one database session for one request or
command. Services flush; the unit of work commits once at the end and rolls back on error.
Live-feed events that services emit (``toetsbatterij.events``) are published only after that
commit, so the room view never announces something that was rolled back.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from toetsbatterij import events
from toetsbatterij.clock import Clock, SystemClock
from toetsbatterij.config import load_config
from toetsbatterij.db import make_engine, make_session_factory
from toetsbatterij.state_store import StateStore
from toetsbatterij.state_store import from_url as state_store_from_url

INSTANCE_ENV = "TOETSBATTERIJ_INSTANCE_PATH"
SQLITE_INSTANCE_PREFIX = "sqlite:///instance/"


def instance_path_from(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get(INSTANCE_ENV) or Path.cwd() / "instance").resolve()


def resolve_database_url(url: str, instance_path: Path) -> str:
    """A ``sqlite:///instance/<file>`` URL names a file in the instance folder."""
    if url.startswith(SQLITE_INSTANCE_PREFIX):
        instance_path.mkdir(parents=True, exist_ok=True)
        return "sqlite:///" + str(instance_path / url.removeprefix(SQLITE_INSTANCE_PREFIX))
    return url


class Platform:
    """Database, item bank, clock, state store and event sink, built once per process."""

    def __init__(self, config: dict[str, Any], *, instance_path: Path,
                 clock: Clock | None = None, state_store: StateStore | None = None) -> None:
        self.config = config
        self.instance_path = instance_path
        self.database_url = resolve_database_url(config["DATABASE_URL"], instance_path)
        config["DATABASE_URL"] = self.database_url
        self.engine = make_engine(self.database_url)
        self.session_factory = make_session_factory(self.engine)
        self.clock: Clock = clock or SystemClock()
        self.state_store: StateStore = state_store or state_store_from_url(config["REDIS_URL"])
        self.itembank_path = Path(config["ITEMBANK_PATH"])
        self._forms: Any = None
        self._signer: Any = None
        self._beating: int | None = None
        self._beat_lock = threading.Lock()

    @classmethod
    def from_config(cls, overrides: Mapping[str, Any] | None = None, *,
                    environ: Mapping[str, str] | None = None, instance_path: Path | None = None,
                    clock: Clock | None = None, state_store: StateStore | None = None,
                    require_secret: bool = True) -> Platform:
        folder = instance_path or instance_path_from(environ)
        config = load_config(folder / "config.json", environ=environ, overrides=overrides,
                             require_secret=require_secret)
        return cls(config, instance_path=folder, clock=clock, state_store=state_store)

    # -- the item bank (loaded lazily, once per process) ------------------------------------------

    @property
    def forms(self) -> Any:
        """The test forms this platform delivers (``delivery.forms.FormStore``): the bank's
        current forms and every pinned version; snapshot assets in ``<instance>/forms/assets``."""
        if self._forms is None:
            from toetsbatterij.delivery.forms import FormStore

            self._forms = FormStore(self.itembank_path, self.instance_path / "forms" / "assets")
        return self._forms

    def warm_up(self) -> None:
        """Build the current forms (item pools, parameters, exposure values) and run each
        section's selection once, so that a worker's first candidate waits for none of it."""
        for form in self.forms.current.values():
            for index, section in enumerate(form.sections):
                if not section.adaptive:
                    continue
                form.select(index, [], [], 0, 0, pretest_due=False,
                            presented_items=frozenset())

    def ensure_beating(self) -> None:
        """Run this process's beat (``delivery.outages.beat``) in a background thread, once per
        process (a forked worker starts its own): the platform is alive and reaches its
        database. Outages are the gaps between beats."""
        pid = os.getpid()
        if self._beating == pid:
            return
        with self._beat_lock:
            if self._beating == pid:
                return
            self._beating = pid
            threading.Thread(target=self._beat_loop, name="outage-beat", daemon=True).start()

    def _beat_loop(self) -> None:
        import logging
        import time

        from toetsbatterij.delivery import outages

        log = logging.getLogger(__name__)
        while True:
            try:
                self.beat_once()
            except Exception:  # noqa: BLE001 - the database is away: that is the outage
                log.debug("beat failed", exc_info=True)
            time.sleep(outages.BEAT_SECONDS)

    def beat_once(self) -> Any:
        """One beat (``delivery.outages.beat``); when it records an outage, credit it to every
        section that ran during it, one attempt at a time under the attempt's lock (the lock
        the candidate's requests take first, so the two never wait on each other in the
        other order). Returns the outage recorded, or None."""
        from toetsbatterij.delivery import outages

        policy = outages.OutagePolicy.from_config(self.config)
        with self.unit_of_work() as db:
            outage = outages.beat(db, self.clock, policy)
            if outage is None:
                return None
            outage_id, targets = outage.id, outages.running_during(db, outage)
        for attempt_id in targets:
            with self.state_store.lock(f"attempt:{attempt_id}", ttl_seconds=10), \
                    self.unit_of_work() as db:
                outages.settle(db, self.clock, attempt_id, outage_id, policy)
        return outage

    def set_forms(self, forms: Any) -> None:
        self._forms = forms

    def sync_definitions(self, db: Session) -> list[Any]:
        """Store the definitions and form snapshots of the bank this platform delivers."""
        from toetsbatterij.delivery import definitions

        return definitions.sync_forms(db, self.clock, self.forms)

    # -- results: the rules and the providers a result is computed with ---------------------------

    @property
    def scoring_rules(self) -> Any:
        """The scoring rules of this configuration (``results.rules.ScoringRules``)."""
        from toetsbatterij.results.rules import ScoringRules

        return ScoringRules.from_config(self.config)

    @staticmethod
    def resolutions_of(db: Session, attempt_id: int) -> Any:
        """The resolved productions of an attempt (``rating.service.resolutions``)."""
        from toetsbatterij.rating.service import resolutions

        return resolutions(db, attempt_id)

    def severities_of(self, db: Session, attempt: Any) -> Any:
        """Rater severities for fair scores (``rating.statistics.severities``)."""
        from toetsbatterij.rating.statistics import severities

        return severities(db, attempt)

    def freeze_ready(self, db: Session, attempt_ids: Any = None) -> list[Any]:
        """Freeze the result of every finished attempt (of ``attempt_ids``, or all) that has
        none yet and whose productions are resolved; the others wait. Returns the new results."""
        from toetsbatterij.results import service as results

        rules = self.scoring_rules
        severities_of = self.severities_of if rules.fair_scores else None
        frozen = []
        for attempt in results.attempts_to_freeze(db, attempt_ids):
            try:
                frozen.append(results.freeze(db, self.clock, self.forms, attempt,
                                             self.resolutions_of, rules,
                                             severities_of=severities_of))
            except results.ResultNotReady:
                continue  # a production still waits for its raters
        return frozen
    # -- the attest signer (loaded lazily; a key is generated on first use) -----------------------

    @property
    def signer(self) -> Any:
        """The Ed25519 signer of attests and credentials (``attests.keys.Signer``): the key of
        ``SIGNING_KEY`` / ``SIGNING_KEY_FILE``, or ``<instance>/signing-keys/current.pem``,
        generated on first use."""
        if self._signer is None:
            from toetsbatterij.attests.keys import Signer

            self._signer = Signer.from_config(self.config, self.instance_path)
        return self._signer

    def set_signer(self, signer: Any) -> None:
        self._signer = signer

    # -- units of work ----------------------------------------------------------------------------

    def new_session(self) -> Session:
        """A database session wired to this platform's event sink (commit it yourself)."""
        db = self.session_factory()
        events.attach(db, self.clock, self.state_store)
        return db

    @contextlib.contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction: commit once at the end, roll back on any error."""
        db = self.new_session()
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise
        finally:
            db.close()

    def close(self) -> None:
        self.engine.dispose()
