"""The demo of ``scripts/run-demo``: one agency with a location, a staff account per role
(passwords printed), a session of the four-skill attest opened today with candidates and their
tickets, and one candidate who has already finished the whole test (the simulated candidate of
:mod:`toetsbatterij.demo.candidate`), so every capability can be opened at once."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import select

from toetsbatterij.db import upgrade
from toetsbatterij.platform import Platform

DEMO_ORG = "antwerpen"
DEMO_ROLES = ("agency_admin", "proctor", "rater", "psychometrician")
DEMO_CANDIDATES = (
    ("Amina", "El Idrissi", dt.date(1988, 4, 12), "rrn", "nl", 0),
    ("Oleksandr", "Kovalenko", dt.date(1979, 11, 3), "bis", "uk", 0),
    ("Fatma", "Yilmaz", dt.date(1995, 7, 21), "rrn", "tr", 25),
    ("José", "Martínez", dt.date(2001, 2, 8), "foreign", "nl", 0),
    ("Nadia", "Haddad", dt.date(1990, 9, 30), "rrn", "ar", 0),
)


def seed_demo(platform: Platform, out_dir: Path) -> dict[str, Any]:
    """Create (or refresh) the demo agency data; returns logins and the tickets path."""
    upgrade(platform.database_url)
    with platform.unit_of_work() as db:
        return _seed_demo(platform, db, out_dir)


def _seed_demo(platform: Platform, db: Any, out_dir: Path) -> dict[str, Any]:
    from toetsbatterij.accounts import service as accounts
    from toetsbatterij.accounts.models import StaffAccount
    from toetsbatterij.delivery import proctoring, sessions, throttle
    from toetsbatterij.delivery.identity import make_national_number
    from toetsbatterij.delivery.tickets import render_tickets
    from toetsbatterij.i18n import translator
    from toetsbatterij.organisations import service as organisations
    from toetsbatterij.organisations.models import Location

    clock = platform.clock
    rows = platform.sync_definitions(db)
    if not rows:
        raise SystemExit("The item bank has no test manifests (itembank/tests/*.yaml): "
                         "nothing to plan a session with.")
    # The demo shows every skill: writing with autosave and speaking with the microphone check
    # are taken in the browser (their rating comes with the rating module).
    four = [r for r in rows if {s["skill"] for s in r.manifest["sections"]}
            >= {"reading", "listening", "writing", "speaking"}]
    definition = (four or rows)[0]
    organisations.seed_agencies(db)
    org = organisations.get_organisation(db, DEMO_ORG)
    loc = db.scalar(select(Location).where(Location.organisation_id == org.id))
    if loc is None:
        loc = organisations.add_location(db, org.id, name="Toetslokaal 1 (Carnotstraat)",
                                         address="Carnotstraat 110, 2060 Antwerpen", capacity=16)
    logins = {}
    for role in DEMO_ROLES:
        email = f"{role.replace('_', '-')}@demo.toetsbatterij.be"
        password = secrets.token_urlsafe(12)
        account = db.scalar(select(StaffAccount).where(StaffAccount.email == email))
        if account is None:
            accounts.create_account(db, clock, organisation_id=org.id, email=email,
                                    display_name=f"Demo {role}", role=role, password=password)
        else:
            account.password_hash = accounts.hash_password(password)
            throttle.reset(db, throttle.STAFF, email)
        logins[role] = (email, password)
    now = clock.now()
    sess = sessions.create_session(db, clock, organisation_id=org.id, actor_id=None,
                                   location_id=loc.id, test_definition_id=definition.id,
                                   starts_at=now - dt.timedelta(minutes=15),
                                   ends_at=now + dt.timedelta(hours=8))
    for i, (first, last, birth, kind, lang, extra) in enumerate(DEMO_CANDIDATES):
        number = (make_national_number(birth, 201 + 2 * i, kind=kind) if kind != "foreign"
                  else f"X{secrets.randbelow(10**8):08d}")
        sessions.register_candidate(
            db, clock, organisation_id=org.id, actor_id=None, session_id=sess.id,
            data=sessions.CandidateInput(first_name=first, last_name=last, birth_date=birth,
                                         id_kind=kind, id_number=number,
                                         id_country="ES" if kind == "foreign" else "",
                                         instruction_language=lang, extra_time_percent=extra))
    sessions.open_session(db, clock, organisation_id=org.id, actor_id=None, session_id=sess.id)
    candidates = sessions.list_candidates(db, org.id, sess.id)
    # The first three passed the identity check at the door; the proctor admits the others in
    # the room view (they wait on a calm screen until then).
    proctoring.admit_candidates(db, clock, organisation_id=org.id, session_id=sess.id,
                                candidate_ids=[c.id for c in candidates[:3]], actor_id=None)
    finished = _finished_attempt(platform, db, sess, candidates[0])
    out_dir.mkdir(parents=True, exist_ok=True)
    pdf_path = out_dir / f"tickets-{sess.code}.pdf"
    pdf_path.write_bytes(render_tickets(
        organisation=org, location=loc, session=sess, candidates=candidates,
        login_url="http://127.0.0.1:5000/", local_time=now.strftime("%d/%m/%Y"),
        translator=translator))
    return {"logins": logins, "session_code": sess.code, "tickets": pdf_path,
            "candidates": [(c.first_name, c.last_name, c.access_code) for c in candidates],
            "definition": definition.name,
            "finished": (candidates[0].first_name, candidates[0].last_name, finished.id)}




def _finished_attempt(platform: Platform, db: Any, sess: Any, candidate: Any) -> Any:
    """The first candidate has taken the whole test already: the simulated candidate answers
    reading at about B1 and listening at about A2, writes the demo texts and speaks the demo
    recordings (toetsbatterij.demo.candidate)."""
    from toetsbatterij.delivery import attempts
    from toetsbatterij.demo.candidate import SimulatedCandidate, take_test
    from toetsbatterij.productions.storage import storage_for

    _, attempt, _ = attempts.candidate_login(db, platform.clock, session_code=sess.code,
                                             access_code=candidate.access_code,
                                             device_token=None, forms=platform.forms)
    storage = storage_for(platform.config, platform.instance_path)
    return take_test(db, platform.clock, platform.forms, storage, attempt,
                     SimulatedCandidate({"reading": 0.5, "listening": -0.7}, seed=candidate.id))
