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
from toetsbatterij.delivery.models import Attempt, Candidate, Incident, Presentation
from toetsbatterij.organisations.models import Location
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
    return out


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
            "number": "K7PX2M9QRT4DH"}
    if token:
        data["csrf_token"] = token
    return data


def _urls(rule, ids):
    path = rule.rule
    if "<path:filename>" in path:
        return [path.replace("<path:filename>", "css/app.css")]
    for name in ("session_id", "candidate_id", "presentation_id", "token", "account_id",
                 "assignment", "part", "set_id", "reference_id", "task_id", "result_id",
                 "attest_id", "org_code"):
        path = re.sub(rf"<[^>]*{name}>", str(ids[name]), path)
    if "<action>" in path:
        return [path.replace("<action>", action) for action in ACTIONS]
    return [path]


def _authorised(rule: Rule, who: Principal, org: str, has_ids: bool) -> bool:
    if rule.who == "public":
        return True
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
             Result, ResultRelease, Attest, AttestRevocation, AttestRuleSet)} | {
        "revoked": db.scalar(select(func.count(Attest.id)).where(Attest.revoked_at.is_not(None))),
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
