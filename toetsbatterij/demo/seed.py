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
# (login label, role, display name): two raters and a senior rater rate the finished attempt;
# "rater" is left for the newcomer, with a second finished attempt waiting in the queue.
DEMO_ACCOUNTS = (
    ("agency_admin", "agency_admin", "Demo beheerder"),
    ("proctor", "proctor", "Demo toetsbegeleider"),
    ("rater", "rater", "Demo beoordelaar"),
    ("rater-2", "rater", "Demo beoordelaar 2"),
    ("rater-3", "rater", "Demo beoordelaar 3"),
    ("senior-rater", "rater", "Demo senior beoordelaar"),
    ("psychometrician", "psychometrician", "Demo psychometricus"),
)
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
    staff = {}
    for label, role, name in DEMO_ACCOUNTS:
        email = f"{label.replace('_', '-')}@demo.toetsbatterij.be"
        password = secrets.token_urlsafe(12)
        account = db.scalar(select(StaffAccount).where(StaffAccount.email == email))
        if account is None:
            account = accounts.create_account(db, clock, organisation_id=org.id, email=email,
                                              display_name=name, role=role, password=password)
        else:
            account.password_hash = accounts.hash_password(password)
            throttle.reset(db, throttle.STAFF, email)
        logins[label] = (email, password)
        staff[label] = account
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
    candidates = sessions.list_candidates(db, org.id, sess.id)  # by name
    by_name = {(c.first_name, c.last_name): c for c in candidates}
    ordered = [by_name[(first, last)] for first, last, *_ in DEMO_CANDIDATES]  # as registered
    # The first three passed the identity check at the door; the proctor admits the others in
    # the room view (they wait on a calm screen until then).
    proctoring.admit_candidates(db, clock, organisation_id=org.id, session_id=sess.id,
                                candidate_ids=[c.id for c in ordered[:3]], actor_id=None)
    finished = _finished_attempt(platform, db, sess, ordered[0])
    result = _rated_result(platform, db, finished, staff)
    trajectory = _trajectory(platform, db, ordered[0], staff)
    attest_url = _attest(platform, db, result, staff["agency_admin"], out_dir)
    certificate_url = _certificate(platform, db, trajectory, staff["agency_admin"], out_dir)
    complaint = _complaint(platform, db, finished, staff["agency_admin"])
    waiting = _finished_attempt(platform, db, sess, ordered[1], texts=SECOND_TEXTS,
                                theta={"reading": -0.4, "listening": 0.3})
    _admit_rater(platform, db, staff["rater"])
    _survey(platform, db, finished, {"clarity": "5", "treatment": "5", "technical": "4",
                                     "waiting": "3"})
    _survey(platform, db, waiting, {"clarity": "4", "treatment": "5", "technical": "2"})
    intake = _intake(platform, db, org, loc, [r for r in rows if r.purpose == "placement"])
    from toetsbatterij.partners.demo import seed_partner

    partner = seed_partner(db, clock, candidate=ordered[0], actor_id=staff["agency_admin"].id)
    studio_unit = _studio_takes(platform, staff["psychometrician"])
    out_dir.mkdir(parents=True, exist_ok=True)
    pdf_path = out_dir / f"tickets-{sess.code}.pdf"
    pdf_path.write_bytes(render_tickets(
        organisation=org, location=loc, session=sess, candidates=candidates,
        login_url="http://127.0.0.1:5000/", local_time=now.strftime("%d/%m/%Y"),
        translator=translator))
    return {"logins": logins, "session_code": sess.code, "tickets": pdf_path,
            "candidates": [(c.first_name, c.last_name, c.access_code) for c in candidates],
            "definition": definition.name,
            "finished": (ordered[0].first_name, ordered[0].last_name, finished.id),
            "result": result.id,
            "attest_url": attest_url,
            "trajectory": trajectory.id,
            "certificate_url": certificate_url,
            "complaint": (complaint.id, complaint.reference),
            "to_rate": (ordered[1].first_name, ordered[1].last_name, waiting.id),
            "intake": intake,
            "partner": partner,
            "studio": studio_unit}


def _studio_takes(platform: Platform, account: Any) -> str | None:
    """The recording studio with work in progress: the psychometrician's speakers and the first
    turn of the first two-speaker A1 dialogue (a demo recording, synthetic like the demo's
    spoken answers; the studio's instance folder only, the bank is not touched)."""
    from toetsbatterij.studio.service import audio_stimuli, studio_for

    studio = studio_for(platform.config, platform.instance_path)
    bank = platform.forms.bank
    dialogue = next((s for s in audio_stimuli(bank)
                     if s.level == "A1" and not s.practice and len(s.roles) == 2), None)
    if dialogue is None:
        return None
    studio.save_speakers(bank, account.id, dialogue.unit_id, {
        **{f"name.{r}": f"Demo spreker {r}" for r in dialogue.roles},
        **{f"region.{r}": "Vlaanderen" for r in dialogue.roles}})
    take = (Path(__file__).parent / "recordings" / "S-A1-0001.ogg").read_bytes()
    studio.save_take(bank, platform.clock, account.id, dialogue.unit_id, 0, take, "audio/ogg")
    return dialogue.unit_id




#: What the second demo candidate writes: waiting in the raters' queue.
SECOND_TEXTS = {
    "W-A2-0001": ("Hallo buren. Zaterdag is mijn feest. Tot 1 uur. Sorry voor de lawaai. "
                  "Probleem? Bel mij: 0486 55 44 33. Oleksandr"),
    "W-B1-0001": ("Geachte heer, mevrouw, in mijn slaapkamer is schimmel sinds twee maanden. Ik heb "
                  "gebeld maar niemand komt. Mijn dochter is ziek door het vocht. Ik vraag u om "
                  "deze week te komen kijken en het te maken. Met vriendelijke groeten, "
                  "Oleksandr Kovalenko"),
}


def _intake(platform: Platform, db: Any, org: Any, loc: Any, placement: list[Any]) \
        -> dict[str, Any] | None:
    """Central intake: Samira took this morning's placement test (a simulated candidate through
    the real delivery; her result is frozen: a level with its probability, never an attest);
    the intake interview is held and she is referred to the course the routing rules advise.
    None when the bank has no placement test."""
    from toetsbatterij.delivery import proctoring, sessions
    from toetsbatterij.delivery.identity import make_national_number
    from toetsbatterij.intake import service as intake

    if not placement:
        return None
    clock, now = platform.clock, platform.clock.now()
    sess = sessions.create_session(db, clock, organisation_id=org.id, actor_id=None,
                                   location_id=loc.id, test_definition_id=placement[0].id,
                                   starts_at=now - dt.timedelta(hours=2),
                                   ends_at=now + dt.timedelta(hours=6))
    birth = dt.date(1997, 6, 21)
    cand = sessions.register_candidate(
        db, clock, organisation_id=org.id, actor_id=None, session_id=sess.id,
        data=sessions.CandidateInput(first_name="Samira", last_name="Amrani", birth_date=birth,
                                     id_kind="bis", id_number=make_national_number(
                                         birth, 311, kind="bis"),
                                     instruction_language="ar"))
    sessions.open_session(db, clock, organisation_id=org.id, actor_id=None, session_id=sess.id)
    proctoring.admit_candidates(db, clock, organisation_id=org.id, session_id=sess.id,
                                candidate_ids=[cand.id], actor_id=None)
    attempt = _finished_attempt(platform, db, sess, cand,
                                theta={"reading": -1.6, "listening": -0.9})
    platform.freeze_ready(db, [attempt.id])
    tz = platform.config["TIMEZONE"]
    intake.record_interview(db, clock, organisation_id=org.id, person_id=cand.person_id,
                            actor_id=None, tz=tz, data={
                                "education_country": "MA", "schooling_years": "7",
                                "highest_education": "primary", "mother_tongue": "Tamazight",
                                "mother_tongue_literacy": "weak", "latin_literacy": "weak",
                                "languages": "Arabisch, Frans", "goals": ["work",
                                                                         "children_school"],
                                "availability": ["morning"], "childcare_needed": "y"})
    referral = intake.refer(db, clock, organisation_id=org.id, person_id=cand.person_id,
                            actor_id=None, provider_name="CBE Open School Antwerpen", tz=tz)
    return {"person_id": cand.person_id, "session_code": sess.code, "rule": referral.advice[
        "rule"], "provider": referral.provider}


def _survey(platform: Platform, db: Any, attempt: Any, answers: dict[str, str]) -> None:
    """The candidate answers the satisfaction survey on the end screen (stored apart from the
    person; the summary hides groups smaller than MONITORING_MIN_GROUP)."""
    from toetsbatterij.surveys import service as surveys

    surveys.answer(db, platform.clock, attempt, answers, tz=platform.config["TIMEZONE"])


def _finished_attempt(platform: Platform, db: Any, sess: Any, candidate: Any, *,
                      texts: dict[str, str] | None = None,
                      theta: dict[str, float] | None = None) -> Any:
    """A candidate who has taken the whole test already (the simulated candidate of
    toetsbatterij.demo.candidate: answers from the items' models at θ per skill, the demo
    texts, the demo recordings)."""
    from toetsbatterij.delivery import attempts
    from toetsbatterij.demo.candidate import DEMO_TEXTS, SimulatedCandidate, take_test
    from toetsbatterij.productions.storage import storage_for

    _, attempt, _ = attempts.candidate_login(db, platform.clock, session_code=sess.code,
                                             access_code=candidate.access_code,
                                             device_token=None, forms=platform.forms)
    storage = storage_for(platform.config, platform.instance_path)
    simulated = SimulatedCandidate(theta or {"reading": 0.5, "listening": -0.7},
                                   seed=candidate.id, texts=texts or DEMO_TEXTS)
    return take_test(db, platform.clock, platform.forms, storage, attempt, simulated)


def _rated_result(platform: Platform, db: Any, attempt: Any, staff: dict[str, Any]) -> Any:
    """Two demo raters rate every production of the attempt, blind, through the rating service;
    they disagree on the B1 letter, which the senior rater adjudicates; the result freezes and
    the agency admin releases it to the candidate."""
    from toetsbatterij.rating import calibration
    from toetsbatterij.rating.demo import rate_demo_attempt
    from toetsbatterij.reports import service as reports

    calibration.seed_writing_references(db, platform.clock, platform.forms)
    rate_demo_attempt(db, platform.clock, platform.forms, attempt.id,
                      raters=[staff["rater-2"], staff["rater-3"]], senior=staff["senior-rater"],
                      disagree_on="W-B1-0001")
    frozen = platform.freeze_ready(db, [attempt.id])
    if not frozen:
        raise RuntimeError(f"attempt {attempt.id}: the demo result could not be frozen")
    reports.release(db, platform.clock, organisation_id=attempt.organisation_id,
                    result_ids=[frozen[0].id], actor_id=staff["agency_admin"].id)
    return frozen[0]


DEMO_BASE_URL = "http://127.0.0.1:5000"


def _attest(platform: Platform, db: Any, result: Any, admin: Any, out_dir: Path) -> str:
    """The agency admin issues the attest of the frozen result: its PDF, its Verifiable
    Credential and the public keys go into the output folder; returns the verification URL."""
    from toetsbatterij.attests.export import issue_demo_attest

    out_dir.mkdir(parents=True, exist_ok=True)
    base = platform.config.get("PUBLIC_BASE_URL") or DEMO_BASE_URL
    path = issue_demo_attest(db, platform.clock, platform.signer,
                             organisation_id=result.organisation_id, actor_id=admin.id,
                             result_id=result.id, out_dir=out_dir, base_url=base)
    return base.rstrip("/") + path


def _trajectory(platform: Platform, db: Any, candidate: Any, staff: dict[str, Any]) -> Any:
    """Amina is a person of the agency (linked when she was registered) with an obliged
    trajectory: MO passed, career orientation and participation done, NT2 at a CVO with goal
    A2; her attest is linked to the NT2 component when it is issued (by identity)."""
    from toetsbatterij.trajectories import service as trajectories

    clock, org = platform.clock, candidate.organisation_id
    today = clock.now().date()
    trajectory = trajectories.create_trajectory(
        db, clock, organisation_id=org, actor_id=staff["agency_admin"].id,
        person_id=candidate.person_id, kind="obliged",
        legal_ground="Inburgeringsdecreet: inburgeringsplichtige nieuwkomer",
        start_date=today - dt.timedelta(days=400), counsellor_id=staff["proctor"].id,
        component_kinds=("mo", "nt2", "career", "participation"))
    parts = {c.kind: c for c in trajectories.components(db, trajectory.id)}
    kw = dict(organisation_id=org, actor_id=staff["agency_admin"].id)
    trajectories.update_component(db, clock, component_id=parts["mo"].id, details={
        "course": "MO in het Arabisch", "attendance_percent": "95",
        "assessment": "Persoonlijk ontwikkelingsplan besproken en afgerond."}, **kw)
    trajectories.update_component(db, clock, component_id=parts["nt2"].id, details={
        "provider_type": "cvo", "provider_name": "CVO Antwerpen", "course_level": "A2",
        "goal_level": "A2"}, **kw)
    for kind, status, days_ago in (("mo", "started", 380), ("mo", "passed", 200),
                                   ("nt2", "started", 360), ("career", "passed", 150),
                                   ("participation", "started", 140),
                                   ("participation", "passed", 30)):
        trajectories.record_event(db, clock, component_id=parts[kind].id, status=status,
                                  occurred_on=today - dt.timedelta(days=days_ago), **kw)
    return trajectory


def _certificate(platform: Platform, db: Any, trajectory: Any, admin: Any,
                 out_dir: Path) -> str | None:
    """When Amina's attest reaches the NT2 goal, the rule of today is met and the agency admin
    issues her civic-integration certificate (PDF and credential into the output folder);
    otherwise the trajectory page shows what is missing. Returns the verification URL."""
    from toetsbatterij.trajectories import certificates
    from toetsbatterij.trajectories import service as trajectories
    from toetsbatterij.trajectories.pdf import verification_url

    if not trajectories.certificate_check(db, trajectory, platform.clock.now().date()).met:
        return None
    base = platform.config.get("PUBLIC_BASE_URL") or DEMO_BASE_URL
    row = certificates.issue_certificate(db, platform.clock, platform.signer,
                                         organisation_id=trajectory.organisation_id,
                                         actor_id=admin.id, trajectory_id=trajectory.id,
                                         base_url=base)
    (out_dir / f"inburgeringsattest-{row.number}.pdf").write_bytes(
        certificates.certificate_pdf(row, base_url=base))
    (out_dir / f"inburgeringsattest-{row.number}.vc.jwt").write_text(
        (row.credential_jwt or "") + "\n", encoding="ascii")
    return verification_url(base, row.number, row.verification_code)
def _complaint(platform: Platform, db: Any, attempt: Any, admin: Any) -> Any:
    """Amina's complaint about her writing, by e-mail three days ago: recorded and acknowledged
    by the agency admin, open (the admin asks for the review by raters who never rated her
    texts, proposes the decision, and a second admin confirms it)."""
    from toetsbatterij.complaints import service as complaints

    clock, tz = platform.clock, str(platform.config["TIMEZONE"])
    policy = complaints.DeadlinePolicy.from_config(platform.config)
    received = clock.now().astimezone(dt.UTC).date() - dt.timedelta(days=3)
    row = complaints.record_complaint(
        db, clock, platform.forms, organisation_id=attempt.organisation_id,
        actor_id=admin.id, attempt_id=attempt.id, subject="result", skills=["writing"],
        channel="email", received_on=received, policy=policy, tz=tz,
        text="Ik denk dat mijn brief aan de huisbaas beter was dan het niveau op mijn "
             "rapport. Kunnen andere beoordelaars mijn teksten nog eens bekijken?",
        contact="amina.elidrissi@example.be")
    complaints.acknowledge(db, clock, organisation_id=attempt.organisation_id,
                           actor_id=admin.id, complaint_id=row.id,
                           note="E-mail met het klachtnummer verstuurd.")
    return row


def _admit_rater(platform: Platform, db: Any, account: Any) -> None:
    """The newcomer's rater account may rate writing and speaking at once (an audited decision
    of the agency admin, as for the first raters of an agency; calibration is the usual way)."""
    from toetsbatterij.rating import calibration, service

    for skill in service.SKILLS:
        if skill not in service.admitted_skills(db, account.id):
            calibration.decide_admission(db, platform.clock,
                                         organisation_id=account.organisation_id,
                                         actor_id=None, rater_id=account.id, skill=skill,
                                         admitted=True, reason="demo")
