"""What the delivery benchmarks share: a seeded exam session, the machine description and a
scripted candidate's answers to a screen (parsed from the page, as a browser posts them)."""

from __future__ import annotations

import datetime as dt
import os
import platform as _platform
import random
import re
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def machine() -> list[tuple[str, str]]:
    """What the numbers were measured on (a shared 2-core machine gives noisy tails)."""
    import sqlite3

    from bench.machine import cpu_model, load_average

    return [("CPU", f"{cpu_model()}, {os.cpu_count()} logical cores"),
            ("load average at start (1, 5, 15 min)", load_average()),
            ("Python", _platform.python_version()), ("SQLite", sqlite3.sqlite_version),
            ("OS", _platform.platform()),
            ("git commit", subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                          capture_output=True, text=True).stdout.strip())]


def empty_database(url: str) -> None:
    """Drop every table of a PostgreSQL benchmark database (SQLite files start fresh)."""
    if not url.startswith("postgresql"):
        return
    from sqlalchemy import text

    from toetsbatterij.db import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def snapshot_itembank(target: Path) -> Path:
    """The item bank as committed at HEAD (a stable snapshot), extracted under ``target``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "HEAD", "itembank"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target / "itembank"


def seed(env: dict[str, str], n: int, *, sessions_of: int = 0) -> list[tuple[str, list[str]]]:
    """Seed through the same composition root (and configuration) as the server under test:
    one agency, open sessions of a reading + listening test (``sessions_of`` candidates each,
    0: one session), every candidate admitted. Returns [(session code, [access codes])]."""
    from toetsbatterij.db import upgrade
    from toetsbatterij.platform import Platform

    platform = Platform.from_config(environ=env)
    upgrade(platform.database_url)
    try:
        with platform.unit_of_work() as db:
            return _seed(platform, db, n, sessions_of or n)
    finally:
        platform.close()


def _seed(platform: Any, db: Any, n: int, per_session: int) -> list[tuple[str, list[str]]]:
    from toetsbatterij.delivery import proctoring, sessions
    from toetsbatterij.organisations import service as organisations

    clock = platform.clock
    rows = platform.sync_definitions(db)
    definition = next(r for r in rows if {s["skill"] for s in r.manifest["sections"]}
                      <= {"reading", "listening"})
    orgs = organisations.seed_agencies(db)
    loc = organisations.add_location(db, orgs[0].id, name="Benchlokaal")
    now = clock.now()
    out: list[tuple[str, list[str]]] = []
    for start in range(0, n, per_session):
        sess = sessions.create_session(db, clock, organisation_id=orgs[0].id, actor_id=None,
                                       location_id=loc.id, test_definition_id=definition.id,
                                       starts_at=now - dt.timedelta(minutes=5),
                                       ends_at=now + dt.timedelta(hours=6))
        codes = []
        for i in range(start, min(n, start + per_session)):
            cand = sessions.register_candidate(
                db, clock, organisation_id=orgs[0].id, actor_id=None, session_id=sess.id,
                data=sessions.CandidateInput(first_name=f"K{i}", last_name="Bench",
                                             birth_date=dt.date(1990, 1, 1), id_kind="foreign",
                                             id_number=f"BENCH{i:05d}", id_country="NL"))
            codes.append(cand.access_code)
        sessions.open_session(db, clock, organisation_id=orgs[0].id, actor_id=None,
                              session_id=sess.id)
        proctoring.admit_candidates(db, clock, organisation_id=orgs[0].id, session_id=sess.id,
                                    candidate_ids=None, actor_id=None)
        out.append((sess.code, codes))
    return out


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if found is None:
        raise ValueError(f"no CSRF token on the page: {html[:200]!r}")
    return found.group(1)


def presentation_id(html: str) -> str | None:
    found = re.search(r'name="presentation_id" value="(\d+)"', html)
    return found.group(1) if found else None


def answers(html: str, rng: random.Random) -> list[tuple[str, str]]:
    """A random answer to every item on the screen, with the page's CSRF token."""
    fields = [("csrf_token", csrf(html)), ("presentation_id", presentation_id(html) or "")]
    radios: dict[str, list[str]] = {}
    for name, value in re.findall(r'type="radio" name="([^"]+)" value="([^"]+)"', html):
        radios.setdefault(name, []).append(value)
    fields += [(name, rng.choice(values)) for name, values in radios.items()]
    for name, value in re.findall(r'type="checkbox" name="([^"]+)" value="([^"]+)"', html):
        if rng.random() < 0.5:
            fields.append((name, value))
    for name in re.findall(r'<input class="gap" name="([^"]+)"', html):
        fields.append((name, rng.choice(["maandag", "10 uur", "de bus"])))
    for name, body in re.findall(r'<select name="([^"]+)">(.*?)</select>', html, re.S):
        options = re.findall(r'<option value="([^"]+)"', body)
        if options:
            fields.append((name, rng.choice(options)))
    for name in re.findall(r'<textarea name="([^"]+)"', html):
        fields.append((name, "Beste juf, mijn zoon is morgen ziek. Groeten."))
    return fields


def section_index(html: str) -> str | None:
    found = re.search(r'name="section_index" value="(\d+)"', html)
    return found.group(1) if found else None
