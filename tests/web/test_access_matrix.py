"""The access matrix, generated from the URL map: every route x method x principal (anonymous,
a candidate, each staff role) x organisation (own and another agency's ids) x with and without
a CSRF token. Zero unauthorised successes, and nothing changes in the database.

Every route must be declared in ACCESS below: a new route without a rule fails
``test_every_route_has_an_access_rule`` until its rule is written down here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from toetsbatterij.accounts.models import (
    ROLE_ADMIN,
    ROLE_PROCTOR,
    ROLE_PSYCHOMETRICIAN,
    ROLE_RATER,
    ROLES,
    StaffAccount,
)
from toetsbatterij.attests.models import Attest, AttestRevocation, AttestRuleSet
from toetsbatterij.audit.models import AuditEntry
from toetsbatterij.complaints.models import Complaint
from toetsbatterij.delivery.models import Attempt, Candidate, Incident, Presentation
from toetsbatterij.intake.models import IntakeInterview, Referral
from toetsbatterij.organisations.models import Location
from toetsbatterij.partners.models import (
    Partner,
    PartnerRead,
    PartnerScope,
    PartnerShare,
    PartnerToken,
    PartnerWebhook,
)
from toetsbatterij.persons.models import Person, PersonMatch
from toetsbatterij.rating.models import (
    CalibrationSet,
    RaterAdmission,
    Rating,
    RatingAssignment,
    RatingReference,
    RatingTask,
)
from toetsbatterij.reports.models import ResultRelease
from toetsbatterij.results.models import Result
from toetsbatterij.surveys.models import SurveyResponse
from toetsbatterij.trajectories.models import (
    CivicCertificate,
    ComponentEvent,
    Trajectory,
    TrajectoryComponent,
    TrajectoryTransfer,
)


@dataclass(frozen=True)
class Rule:
    who: str                          # "public", "staff" or "candidate"
    roles: frozenset[str] = frozenset()


PUBLIC = Rule("public")
ANY_STAFF = Rule("staff", frozenset(ROLES))
EXAM = Rule("staff", frozenset({ROLE_ADMIN, ROLE_PROCTOR}))
ADMIN = Rule("staff", frozenset({ROLE_ADMIN}))
# A rater sees only the rating screens (and the start page, which is their queue).
RATER = Rule("staff", frozenset({ROLE_RATER}))
QUALITY = Rule("staff", frozenset({ROLE_ADMIN, ROLE_PSYCHOMETRICIAN}))
RESULTS = Rule("staff", frozenset({ROLE_ADMIN, ROLE_PSYCHOMETRICIAN}))  # reports.service
CANDIDATE = Rule("candidate")
# The partner API: a bearer token of a partner, never a login session; no principal of this
# matrix holds one (each must get a 401); tests/partner_api/ covers the tokens themselves.
TOKEN = Rule("token")
# The recording studio writes into the item bank shared by every agency: its custodian only.
AUTHORS = Rule("staff", frozenset({ROLE_PSYCHOMETRICIAN}))

# POST routes without CSRF protection because no cookie is involved: they authenticate by a
# bearer token of their own (OpenID4VCI's credential endpoint), so a request without a CSRF
# token is refused by that (401), not by the CSRF check (400).
BEARER_TOKEN_ROUTES = {"attest_public.wallet_credential"}

ACCESS: dict[str, Rule] = {
    "static": PUBLIC,
    "health": PUBLIC,
    "candidate.login": PUBLIC,
    "candidate.do_login": PUBLIC,
    "candidate.candidate_logout": PUBLIC,
    "candidate.screen": CANDIDATE,
    "candidate.status": CANDIDATE,
    "candidate.heartbeat": CANDIDATE,
    "productions.save_text": CANDIDATE,
    "productions.start_recording": CANDIDATE,
    "productions.upload_chunk": CANDIDATE,
    "productions.stop_recording": CANDIDATE,
    "productions.microphone_result": CANDIDATE,
    "candidate.proceed": CANDIDATE,
    "candidate.answer": CANDIDATE,
    "candidate.play_audio": CANDIDATE,
    "candidate.media": CANDIDATE,
    "staff.login": PUBLIC,
    "staff.logout": ANY_STAFF,
    "staff.logout_everywhere": ANY_STAFF,
    "staff.deactivate_account": ADMIN,
    "staff.dashboard": ANY_STAFF,
    "staff.new_session": EXAM,
    "staff.session_detail": EXAM,
    "staff.register_candidate": EXAM,
    "staff.import_candidates": EXAM,
    "staff.tickets": EXAM,
    "staff.open_session": EXAM,
    "staff.room": EXAM,
    "staff.room_json": EXAM,
    "staff.pause_room": EXAM,
    "staff.resume_room": EXAM,
    "staff.admit_room": EXAM,
    "staff.clear_login_throttle": EXAM,
    "staff.incident": EXAM,
    "staff.candidate_action": EXAM,
    "staff.end_attempt": EXAM,
    "staff.extra_time": EXAM,
    "staff.release_device": EXAM,
    "staff.candidate_accommodations": EXAM,
    "staff.locations": ADMIN,
    "staff.staff_accounts": ADMIN,
    "staff.audit": ADMIN,
    "rating.next_production": RATER,
    "rating.start_calibration": RATER,
    "rating.rate": RATER,
    "rating.audio": RATER,
    "rating.raters": ADMIN,
    "rating.set_senior": ADMIN,
    "rating.decide_admission": ADMIN,
    "rating.calibration_sets": QUALITY,
    "rating.calibration_set": QUALITY,
    "rating.add_set_reference": QUALITY,
    "rating.controls": QUALITY,
    "rating.remove_reference": QUALITY,
    "rating.candidate_audio": QUALITY,
    "rating.statistics": QUALITY,
    "results.result_list": RESULTS,
    "results.result_csv": RESULTS,
    "results.session_results": RESULTS,
    "results.session_csv": RESULTS,
    "results.result_detail": RESULTS,
    "results.report_preview": ADMIN,
    "results.report_pdf": ADMIN,
    "results.release_result": ADMIN,
    "results.release_session": ADMIN,
    "report.candidate_report": CANDIDATE,
    "report.candidate_report_pdf": CANDIDATE,
    # attests: verification, keys and status lists are public (verification is a POST: logged
    # and rate-limited); proctors see attests and request revocations, admins issue, confirm a
    # revocation and change the rules
    "attest_public.jwks": PUBLIC,
    "attest_public.verify_form": PUBLIC,
    "attest_public.verify_link": PUBLIC,
    "attest_public.verify_page": PUBLIC,
    "attest_public.verify_json": PUBLIC,
    "attest_public.holder_credential": PUBLIC,
    "attest_public.status_list": PUBLIC,
    "attest_public.issuer_profile": PUBLIC,
    "survey.survey_form": CANDIDATE,
    "survey.survey_submit": CANDIDATE,
    "intake.page": EXAM,
    "intake.interview": EXAM,
    "intake.refer": EXAM,
    "intake.referral_status": EXAM,
    "monitoring.overview": QUALITY,
    "monitoring.figures_csv": QUALITY,
    "monitoring.monthly_report": QUALITY,
    "monitoring.survey_summary": QUALITY,
    "monitoring.survey_csv": QUALITY,
    "attest_public.wallet_issuer_metadata": PUBLIC,
    "attest_public.wallet_authorization_server": PUBLIC,
    "attest_public.wallet_offer": PUBLIC,
    "attest_public.wallet_token": PUBLIC,
    "attest_public.wallet_credential": PUBLIC,
    "attests.index": EXAM,
    "attests.issue": ADMIN,
    "attests.detail": EXAM,
    "attests.pdf": EXAM,
    "attests.credential": EXAM,
    "attests.request_revocation": EXAM,
    "attests.confirm_revocation": ADMIN,
    "attests.withdraw_revocation": EXAM,
    "attests.rules": ADMIN,
    "attests.add_rules": ADMIN,
    # persons: proctors and admins register candidates, so both see persons and decide the
    # likely matches; trajectories, certificates and their exports are the admins'; the
    # certificate check is public like the attest's
    "persons.index": EXAM,
    "persons.new": EXAM,
    "persons.edit": EXAM,
    "persons.detail": EXAM,
    "persons.matches": EXAM,
    "persons.confirm_match": EXAM,
    "persons.reject_match": EXAM,
    "trajectories.index": ADMIN,
    "trajectories.export_trajectories": ADMIN,
    "trajectories.export_certificates": ADMIN,
    "trajectories.create": ADMIN,
    "trajectories.detail": ADMIN,
    "trajectories.update": ADMIN,
    "trajectories.add_component": ADMIN,
    "trajectories.update_component": ADMIN,
    "trajectories.record_event": ADMIN,
    "trajectories.link_attest": ADMIN,
    "trajectories.transfer": ADMIN,
    "trajectories.close": ADMIN,
    "trajectories.issue_certificate": ADMIN,
    "trajectories.issue_declaration": ADMIN,
    "trajectories.certificate": ADMIN,
    "trajectories.certificate_pdf": ADMIN,
    "trajectories.certificate_credential": ADMIN,
    "certificate_public.verify_form": PUBLIC,
    "certificate_public.verify_link": PUBLIC,
    "certificate_public.verify_page": PUBLIC,
    "certificate_public.holder_credential": PUBLIC,
    # complaints: admins and proctors record them, see them and note the acknowledgement;
    # admins ask for the review and take the four-eyes decision and open the inzage (it shows
    # results, which proctors do not see); the candidate's form is public (CSRF, rate-limited)
    "complaints.index": EXAM,
    "complaints.new": EXAM,
    "complaints.record": EXAM,
    "complaints.detail": EXAM,
    "complaints.acknowledge": EXAM,
    "complaints.request_review": ADMIN,
    "complaints.propose": ADMIN,
    "complaints.confirm": ADMIN,
    "complaints.reject": ADMIN,
    "inzage.show": ADMIN,
    "inzage.recording": ADMIN,
    "complaint_public.form": PUBLIC,
    "complaint_public.submit": PUBLIC,
    # the partner exchange: the API by token (its document is public), the screens by admins
    "partner_api.openapi_document": PUBLIC,
    "partner_api.me": TOKEN,
    "partner_api.list_persons": TOKEN,
    "partner_api.get_person": TOKEN,
    "partner_api.get_trajectory": TOKEN,
    "partner_api.get_nt2": TOKEN,
    "partner_api.get_attests": TOKEN,
    "partners.index": ADMIN,
    "partners.detail": ADMIN,
    "partners.set_scopes": ADMIN,
    "partners.create_token": ADMIN,
    "partners.rotate_token": ADMIN,
    "partners.revoke_token": ADMIN,
    "partners.share": ADMIN,
    "partners.stop_share": ADMIN,
    "partners.read_log": ADMIN,
    "partners.create_webhook": ADMIN,
    "partners.disable_webhook": ADMIN,
    "studio.index": AUTHORS,
    "studio.record": AUTHORS,
    "studio.speakers": AUTHORS,
    "studio.upload_take": AUTHORS,
    "studio.take_audio": AUTHORS,
    "studio.assemble": AUTHORS,
    "studio.preview": AUTHORS,
    "studio.replace": AUTHORS,
    "studio.discard": AUTHORS,
}
ACTIONS = ("toelaten", "pauze", "hervatten")
LOGIN_PAGES = ("/beheer/aanmelden", "/")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_every_route_has_an_access_rule(app):
    endpoints = {r.endpoint for r in app.url_map.iter_rules()}
    assert endpoints - set(ACCESS) == set(), "declare the access rule of the new route(s)"
    assert set(ACCESS) - endpoints == set(), "a declared route no longer exists"


@dataclass
class Principal:
    name: str
    client: object
    kind: str                         # "anonymous", "candidate", "staff"
    role: str | None = None
    token: str = ""


def _client(app):
    """A browser: the app's URL scheme is https, where Flask-WTF also checks the referrer."""
    client = app.test_client()
    client.environ_base["HTTP_REFERER"] = "https://localhost/"
    return client


def _token(client, url):
    match = CSRF.search(client.get(url).get_data(as_text=True))
    assert match, url
    return match.group(1)


def _start_practice(app, tenant):
    client = _client(app)
    token = _token(client, "/")
    assert client.post("/aanmelden", data={"csrf_token": token,
                                           "session_code": tenant["session_code"],
                                           "access_code": tenant["access_codes"][0]}
                       ).status_code == 302
    token = _token(client, "/toets")
    client.post("/toets/verder", data={"csrf_token": token, "step": "practice"})
    client.get("/toets")  # presents the first practice unit
    return client


def _rating_targets(world, content, tenant):
    """A calibration set with one reference of the tenant, and its rater's calibration run on
    it: the ids and the assignment token the rating routes name."""
    from toetsbatterij.rating import calibration

    cal_set = calibration.create_set(world.db, world.clock, organisation_id=tenant["org"],
                                     actor_id=None, skill="writing", name="Set")
    ref = calibration.add_text_reference(
        world.db, world.clock, content, organisation_id=tenant["org"], purpose="calibration",
        item_id="W-A2-0001", text="Beste juf, ik ben ziek.", set_id=cal_set.id,
        scores={"task": 1, "coherence": 1, "vocabulary": 1, "grammar": 1})
    rater = world.db.get(StaffAccount, tenant["staff"]["rater"])
    assignment = calibration.start_run(world.db, world.clock, rater, cal_set.id)
    world.db.commit()
    return {"set_id": cal_set.id, "reference_id": ref.id, "task_id": assignment.task_id,
            "assignment": assignment.token, "part": 1}
def _result(world, content, tenant):
    """A frozen result in ``tenant`` (its last candidate took the whole test)."""
    from delivery_support import take_attempt

    from toetsbatterij.results import service as results
    from toetsbatterij.results.rules import ScoringRules

    attempt = take_attempt(world, content, tenant, len(tenant["candidates"]) - 1)
    result = results.freeze(world.db, world.clock, content, attempt, lambda _db, _a: {},
                            ScoringRules())
    world.db.commit()
    return result.id


def _targets(app, world, db, content):
    out = {}
    for label, tenant in (("own", world.a), ("other", world.b)):
        result_id = _result(world, content, tenant)
        att = db.scalar(select(Attempt).where(Attempt.candidate_id == tenant["candidates"][0]))
        pres = db.scalar(select(Presentation).where(Presentation.attempt_id == att.id))
        with app.test_request_context():
            from toetsbatterij.web.candidate import media_token

            token = media_token(att.id, pres.id, "audio")
        out[label] = {"session_id": tenant["session"], "candidate_id": tenant["candidates"][1],
                      "presentation_id": pres.id, "token": token,
                      "account_id": tenant["staff"]["rater"], "result_id": result_id,
                      "attest_id": _attest(app, world, tenant, result_id),
                      "org_code": tenant["domain"].split(".")[0]}
        out[label].update(_rating_targets(world, content, tenant))
        out[label].update(_trajectory_targets(app, world, tenant))
        out[label]["complaint_id"] = _complaint(world, content, tenant, result_id)
        out[label]["number"] = 1
        out[label].update(_partner_targets(world, tenant))
    return out


def _complaint(world, content, tenant, result_id):
    """A complaint of the tenant about its result, with a proposed decision (by its admin), so
    that confirming, rejecting or acknowledging would change it."""
    from toetsbatterij.complaints import service

    attempt_id = world.db.get(Result, result_id).attempt_id
    row = service.record_complaint(world.db, world.clock, content,
                                   organisation_id=tenant["org"],
                                   actor_id=tenant["staff"]["proctor"], attempt_id=attempt_id,
                                   subject="conditions", skills=[], channel="desk",
                                   received_on=None, text="Lawaai")
    service.propose(world.db, world.clock, None, organisation_id=tenant["org"],
                    actor_id=tenant["staff"]["agency_admin"], complaint_id=row.id,
                    outcome="other_measure", motivation="Gratis herkansing")
    world.db.commit()
    return row.id


def _trajectory_targets(app, world, tenant):
    """A person (of the tenant's first candidate) with an open trajectory, a declaration of
    effort issued on it, and a likely match waiting for a decision: the ids the person and
    trajectory routes name."""
    from toetsbatterij.delivery import sessions
    from toetsbatterij.persons import service as persons
    from toetsbatterij.trajectories import certificates
    from toetsbatterij.trajectories import service as trajectories

    cand = world.db.get(Candidate, tenant["candidates"][0])
    admin = tenant["staff"]["agency_admin"]
    trajectory = trajectories.create_trajectory(
        world.db, world.clock, organisation_id=tenant["org"], actor_id=admin,
        person_id=cand.person_id, kind="voluntary", start_date="2025-01-01")
    row = certificates.issue_declaration(
        world.db, world.clock, app.extensions["toetsbatterij"].signer,
        organisation_id=tenant["org"], actor_id=admin, trajectory_id=trajectory.id,
        reason="toegangstest", base_url="https://x.test")
    twin = sessions.register_candidate(
        world.db, world.clock, organisation_id=tenant["org"], actor_id=None,
        session_id=tenant["session"], data=sessions.CandidateInput(
            first_name=cand.first_name, last_name=cand.last_name, birth_date=cand.birth_date,
            id_kind="foreign", id_number="Q1234567", id_country="MA"))
    match = persons.open_matches(world.db, tenant["org"], twin.id)[0]
    from toetsbatterij.intake import service as intake

    intake.record_interview(world.db, world.clock, organisation_id=tenant["org"],
                            person_id=cand.person_id, actor_id=admin, data={
                                "schooling_years": "10", "highest_education": "secondary",
                                "mother_tongue_literacy": "good", "latin_literacy": "good"})
    referral = intake.refer(world.db, world.clock, organisation_id=tenant["org"],
                            person_id=cand.person_id, actor_id=admin, provider_name="CVO")
    world.db.commit()
    return {"person_id": cand.person_id, "trajectory_id": trajectory.id,
            "component_id": trajectories.components(world.db, trajectory.id)[0].id,
            "certificate_id": row.id, "match_id": match.id, "referral_id": referral.id}


def _partner_targets(world, tenant):
    """A partner of the tenant with every scope, a live token, one person shared and another
    not yet: what the partner routes name, and what revoking or sharing would change."""
    import datetime as dt

    from toetsbatterij.partners import service as partners
    from toetsbatterij.persons.models import Person

    org = tenant["org"]
    people = [Person(organisation_id=org, first_name=f"Persoon{i}", last_name="Matrix",
                     birth_date=dt.date(1990, 1, 1 + i), id_kind="foreign",
                     id_number=f"M{org}{i}", id_country="MA", email="", phone="",
                     instruction_language="nl", created_at=world.clock.now())
              for i in range(2)]
    world.db.add_all(people)
    world.db.flush()
    partner = partners.create_partner(world.db, world.clock, organisation_id=org, actor_id=None,
                                      name="Matrixpartner", kind="work",
                                      scopes=list(partners.SCOPES))
    token = partners.create_token(world.db, world.clock, organisation_id=org, actor_id=None,
                                  partner_id=partner.id)
    shared = partners.share(world.db, world.clock, organisation_id=org, actor_id=None,
                            partner_id=partner.id, person_id=people[0].id)
    from toetsbatterij.partners import webhooks

    hook, _ = webhooks.create_webhook(world.db, world.clock, organisation_id=org, actor_id=None,
                                      partner_id=partner.id, url="https://partner.test/hook",
                                      events=list(webhooks.EVENTS))
    world.db.commit()
    return {"partner_id": partner.id, "token_id": token.row.id, "share_id": shared.id,
            "person_ref": shared.person_ref, "person_db_id": people[1].id,
            "webhook_id": hook.id}


def _attest(app, world, tenant, result_id):
    """An issued attest of the tenant (from its frozen result), with an open revocation
    request, so that confirming would change it."""
    from attest_support import issue as issue_attest

    from toetsbatterij.attests import service

    attest = issue_attest(world, app.extensions["toetsbatterij"].signer, None, tenant, result_id)
    service.request_revocation(world.db, world.clock, organisation_id=tenant["org"],
                               actor_id=tenant["staff"]["proctor"], attest_id=attest.id,
                               reason="toegangstest")
    world.db.commit()
    return attest.id


def _form(ids, token):
    data = {"presentation_id": ids["presentation_id"], "candidate_id": ids["candidate_id"],
            "step": "practice", "section_index": "0", "reason": "test", "minutes": "5",
            "confirm": "y",
            "code": "technical", "note": "test", "name": "Zaal X", "address": "", "capacity": "9",
            "email": "nieuw@x.test", "display_name": "Nieuw", "role": "agency_admin",
            "password": "lang genoeg wachtwoord", "first_name": "A", "last_name": "B",
            "birth_date": "1990-01-01", "id_kind": "foreign", "id_number": "P1234567",
            "id_country": "MA", "session_code": "X", "access_code": "Y",
            # the rating routes: a promotion, an admission, the senior flag, a rating
            "task_id": ids["task_id"], "rater_id": ids["account_id"], "skill": "writing",
            "decision": "admit", "senior": "1", "label": "x", "action": "submit",
            **{f"c.{c}": "1" for c in ("task", "coherence", "vocabulary", "grammar")},
            # the attest routes: issue, rules, verification
            "result_id": "1", "document": "levels: [A1, A2]", "effective_from": "2099-01-01",
            "number": "K7PX2M9QRT4DH",
            # the person and trajectory routes: a status event, a trajectory, a transfer
            "status": "passed", "occurred_on": "2026-01-01", "kind": "voluntary",
            "start_date": "2025-01-01", "to_organisation_id": "1", "issue-confirm": "y",
            "decl-reason": "x", "decl-confirm": "y", "close-reason": "x",
            "transfer-reason": "x", "transfer-confirm": "y", "add-kind": "career",
            "mo": "y", "nt2": "y",
            # the complaint routes: a record, a proposal, the public form
            "attempt_id": "1", "subject": "conditions", "channel": "letter",
            "received_on": "2026-01-01", "text": "Klacht", "outcome": "unchanged",
            "motivation": "x", "attest_number": "K7PX2M9QRT4DH",
            # the partner routes: a partner, its scopes, a token, a share
            "scopes": "nt2.level", "days": "30",
            "url": "https://partner.test/x", "events": "attest.issued",
            "person_id": str(ids["person_db_id"])}
    if token:
        data["csrf_token"] = token
    return data


def _urls(rule, ids):
    path = rule.rule
    if path.startswith("/api/partner/"):  # the API names a person by the partner's own id
        ids = {**ids, "person_id": ids["person_ref"]}
    if "<path:filename>" in path:
        return [path.replace("<path:filename>", "css/app.css")]
    for name in ("session_id", "candidate_id", "presentation_id", "token", "account_id",
                 "assignment", "part", "set_id", "reference_id", "task_id", "result_id",
                 "attest_id", "org_code", "person_id", "trajectory_id", "component_id",
                 "certificate_id", "match_id", "referral_id", "complaint_id", "number",
                 "partner_id", "token_id", "share_id", "webhook_id"):
        path = re.sub(rf"<[^>]*{name}>", str(ids[name]), path)
    if "<action>" in path:
        return [path.replace("<action>", action) for action in ACTIONS]
    return [path]


def _authorised(rule: Rule, who: Principal, org: str, has_ids: bool) -> bool:
    if rule.who == "public":
        return True
    if rule.who == "token":
        return False
    if has_ids and org != "own":
        return False
    if rule.who == "candidate":
        return who.kind == "candidate"
    return who.kind == "staff" and who.role in rule.roles


def _refused(resp) -> bool:
    if resp.status_code in (400, 401, 403, 404, 405):
        return True
    if resp.status_code in (301, 302, 303, 307, 308):
        location = resp.headers.get("Location", "")
        return re.sub(r"^https?://[^/]+", "", location).split("?")[0] in LOGIN_PAGES
    return False


def _snapshot(db):
    db.expire_all()
    return {model.__name__: db.scalar(select(func.count(model.id))) for model in
            (AuditEntry, Candidate, Incident, Location, StaffAccount, Presentation, RatingTask,
             RatingAssignment, Rating, RatingReference, CalibrationSet, RaterAdmission,
             Result, ResultRelease, Attest, AttestRevocation, AttestRuleSet, Person,
             PersonMatch, Trajectory, TrajectoryComponent, ComponentEvent, TrajectoryTransfer,
             CivicCertificate, IntakeInterview, Referral, SurveyResponse, Complaint, Partner,
             PartnerScope, PartnerToken, PartnerShare, PartnerRead, PartnerWebhook)} | {
        "complaints_moved": db.scalar(select(func.count(Complaint.id)).where(
            (Complaint.status != "proposed") | Complaint.acknowledged_at.is_not(None))),
        "referral_status": db.scalar(select(func.count(Referral.id))
                                     .where(Referral.status != "referred")),
        "matched": db.scalar(select(func.count(PersonMatch.id))
                             .where(PersonMatch.status != "proposed")),
        "closed": db.scalar(select(func.count(Trajectory.id))
                            .where(Trajectory.closed_at.is_not(None))),
        "linked": db.scalar(select(func.count(Candidate.id))
                            .where(Candidate.person_id.is_not(None))),
        "revoked": db.scalar(select(func.count(Attest.id)).where(Attest.revoked_at.is_not(None))),
        "revoked_tokens": db.scalar(select(func.count(PartnerToken.id))
                                    .where(PartnerToken.revoked_at.is_not(None))),
        "stopped_shares": db.scalar(select(func.count(PartnerShare.id))
                                    .where(PartnerShare.stopped_at.is_not(None))),
        "disabled_webhooks": db.scalar(select(func.count(PartnerWebhook.id))
                                       .where(PartnerWebhook.disabled_at.is_not(None))),
        "ended": db.scalar(select(func.count(Attempt.id)).where(Attempt.state == "ended")),
        "paused": db.scalar(select(func.count(Attempt.id)).where(Attempt.paused_at.is_not(None))),
        "senior": db.scalar(select(func.count(StaffAccount.id))
                            .where(StaffAccount.senior_rater.is_(True))),
        "active_references": db.scalar(select(func.count(RatingReference.id))
                                       .where(RatingReference.active.is_(True))),
    }


@pytest.fixture
def csrf_app(make_app):
    return make_app()  # CSRF on, as in production


def test_access_matrix(csrf_app, world, db_session, content):
    app = csrf_app
    world.open(world.a)
    world.open(world.b)
    candidate = _start_practice(app, world.a)
    _start_practice(app, world.b)
    targets = _targets(app, world, db_session, content)
    principals = [Principal("anonymous", _client(app), "anonymous"),
                  Principal("candidate", candidate, "candidate")]
    for role in ROLES:
        client = _client(app)
        token = _token(client, "/beheer/aanmelden")
        assert client.post("/beheer/aanmelden", data={
            "csrf_token": token, "email": f"{role}@{world.a['domain']}",
            "password": "correct horse battery staple"}).status_code == 302
        principals.append(Principal(role, client, "staff", role))
    for p in principals:
        p.token = _token(p.client, {"anonymous": "/beheer/aanmelden", "candidate": "/toets"}
                         .get(p.kind, "/beheer/"))
    before = _snapshot(db_session)
    failures, sent = [], 0
    for url_rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        rule = ACCESS[url_rule.endpoint]
        has_ids = bool(set(url_rule.arguments) - {"filename", "action"})
        for method in sorted(url_rule.methods - {"HEAD", "OPTIONS"}):
            for p in principals:
                for org in (("own", "other") if has_ids else ("own",)):
                    for url in _urls(url_rule, targets[org]):
                        for with_token in ((True, False) if method == "POST" else (True,)):
                            allowed = _authorised(rule, p, org, has_ids)
                            if allowed and with_token:
                                continue  # what may succeed is tested elsewhere
                            data = _form(targets[org], p.token if with_token else "")
                            resp = p.client.open(url, method=method,
                                                 data=data if method == "POST" else None)
                            sent += 1
                            expected_csrf = (method == "POST" and not with_token
                                             and url_rule.endpoint not in BEARER_TOKEN_ROUTES)
                            if (expected_csrf and resp.status_code != 400) or not _refused(resp):
                                failures.append((p.name, method, url, org,
                                                 "token" if with_token else "no token",
                                                 resp.status_code,
                                                 resp.headers.get("Location", "")))
    assert failures == []
    assert _snapshot(db_session) == before, "an unauthorised request changed the database"
    assert sent > 300
