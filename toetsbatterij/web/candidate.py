"""The candidate's screens: login with ticket, instructions, practice, sections, end screen.

One item (or testlet) per screen; the server decides what comes next (no back navigation).
"""

from __future__ import annotations

import contextlib
import mimetypes
import secrets
from collections.abc import Iterator
from typing import Any

from flask import (
    Blueprint,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from toetsbatterij.delivery import accommodations, attempts, media, outages
from toetsbatterij.delivery.models import FINISHED, Attempt, Candidate, Presentation
from toetsbatterij.delivery.opaque import OpaqueIds
from toetsbatterij.errors import (
    AttemptPaused,
    Conflict,
    DeadlinePassed,
    DomainError,
    InvalidInput,
    NotAuthenticated,
)
from toetsbatterij.i18n import LANGUAGES
from toetsbatterij.items import parse_posted_answers
from toetsbatterij.login_sessions import service as login_sessions
from toetsbatterij.login_sessions.service import CANDIDATE
from toetsbatterij.productions.service import complete_answers
from toetsbatterij.textinput import clean_answer
from toetsbatterij.web.auth import current_principal, end_login_session, login_candidate
from toetsbatterij.web.context import clock, db, freeze_ready, platform
from toetsbatterij.web.errors import translate_error
from toetsbatterij.web.ids import form_id, form_int
from toetsbatterij.web.unit_of_work import commit_now, mark_failed

bp = Blueprint("candidate", __name__)


def _content() -> Any:
    return platform().forms


def _attempt_id() -> int:
    """The attempt of this browser's server-side login session (web/auth.py)."""
    principal, device = current_principal(CANDIDATE), session.get("device")
    if principal is None or principal.attempt_id is None or not device:
        raise NotAuthenticated("Meld aan met de codes op uw ticket.")
    return principal.attempt_id


def _attempt() -> Attempt:
    attempt_id = _attempt_id()
    return attempts.resume(db(), clock(), attempt_id=attempt_id,
                           device_token=str(session.get("device")))


@contextlib.contextmanager
def _locked_attempt(*, settle_first: bool = False, advance: bool = True) -> Iterator[Attempt]:
    """The attempt of this browser, loaded AFTER its lock is taken (a write request).

    The lock serialises one candidate's own requests (double clicks, two tabs) across workers;
    the unique constraints stay the real guard when the lock times out. After the action the
    due transitions are carried out (``advance``: the next unit, a section whose time ran out);
    with ``settle_first`` also before it, for actions that depend on the state having moved on
    (starting the next section). Actions that check their own deadline (an answer, a play, an
    upload) need no walk before them, and uploads none after them either (the heartbeat does).
    """
    attempt_id = _attempt_id()
    with platform().state_store.lock(f"attempt:{attempt_id}", ttl_seconds=10):
        attempt = _attempt()
        # Time lost while the platform answered nobody is given back first (fair time).
        attempts.credit_outages(db(), clock(), attempt,
                                outages.OutagePolicy.from_config(current_app.config))
        attempts.touch(db(), clock(), attempt)
        if settle_first:
            attempts.advance(db(), clock(), _content(), attempt, _grace())
        yield attempt
        if advance:
            # The screen after the action: what the answer's own response shows (inline).
            g.next_screen = attempts.advance(db(), clock(), _content(), attempt, _grace())
        if attempt.state == FINISHED:
            # A test without writing or speaking has its result now; the others when rated.
            freeze_ready([attempt.id])
        # Commit while the lock is held: the next request of this candidate sees this one.
        commit_now()


def _grace() -> int:
    return int(current_app.config["SUBMIT_GRACE_SECONDS"])


@bp.get("/")
def login() -> Any:
    if current_principal(CANDIDATE) is not None:
        return redirect(url_for("candidate.screen"))
    # Before the codes are typed the registration is unknown: the candidate may pick the
    # language of the screens from the list on the page; after login the registration decides.
    chosen = request.args.get("taal", "")
    if chosen in LANGUAGES:
        session["lang"] = chosen
    # This browser's device token, before the login (in the signed session cookie, no
    # database write): a login whose answer is lost in a crash is retried from the same device.
    if not session.get("device"):
        session["device"] = secrets.token_urlsafe(32)
    return render_template("candidate/login.html")


@bp.post("/aanmelden")
def do_login() -> Any:
    try:
        cand, attempt, device = attempts.candidate_login(
            db(), clock(), session_code=request.form.get("session_code", ""),
            access_code=request.form.get("access_code", ""), device_token=session.get("device"),
            forms=_content())
    except DomainError as exc:
        # The unit of work keeps a counted failure (LoginFailed keeps its changes) and rolls
        # back anything else.
        mark_failed(exc)
        return render_template("candidate/login.html", error=translate_error(exc),
                               session_code=request.form.get("session_code", "")), \
            exc.http_status
    # One browser per attempt: a new login ends the attempt's older sessions.
    login_sessions.end_for_attempt(db(), clock(), attempt.id, "new_login")
    login_candidate(organisation_id=attempt.organisation_id, attempt_id=attempt.id)
    session["device"] = device
    session["lang"] = cand.instruction_language
    return redirect(url_for("candidate.screen"))


@bp.get("/toets")
def screen() -> Any:
    """The current screen. Reads only: every unit shown was presented (and committed) by the
    POST that led here, so a reload shows the same unit with the same time."""
    try:
        attempt = _attempt()
    except NotAuthenticated:
        return redirect(url_for("candidate.login"))
    return _render_screen(attempt, attempts.current_screen(db(), clock(), _content(), attempt,
                                                           _grace()))


def _render_screen(attempt: Attempt, scr: attempts.Screen) -> Any:
    """The page of screen ``scr`` (the GET of /toets, or an answer's own response)."""
    from toetsbatterij.web.productions import microphone_screen

    mic = microphone_screen(attempt, scr)
    if mic is not None:
        return mic
    image_url = None
    if scr.presentation is not None and (scr.view.get("stimulus") or {}).get("kind") == "image":
        image_url = url_for("candidate.media", token=media_token(attempt.id, scr.presentation.id,
                                                                 "image"))
    # The name stays in the bar so the proctor can check who sits where.
    cand = db().get(Candidate, attempt.candidate_id)
    name = f"{cand.first_name} {cand.last_name}" if cand else ""
    g.opaque_ids = opaque_ids(attempt)
    from toetsbatterij.web.reports import candidate_report_available

    report = scr.kind == "finished" and candidate_report_available(attempt)
    from toetsbatterij.surveys.service import is_open as survey_open

    survey = scr.kind in ("finished", "ended") and survey_open(db(), attempt)
    screen_url = url_for("candidate.screen") if request.method == "POST" else None
    return render_template(f"candidate/{scr.kind}.html", screen=scr, image_url=image_url,
                           screen_url=screen_url,
                           candidate_name=name, report_available=report, survey_open=survey,
                           survey_thanks=bool(request.args.get("bedankt")) and not survey,
                           poll_seconds=current_app.config["LIVE_POLL_SECONDS"],
                           large_text=accommodations.for_candidate(
                               db(), attempt.candidate_id).larger_text)


def _status(scr: attempts.Screen) -> Any:
    return jsonify({"kind": scr.kind, "remaining_seconds": scr.remaining_seconds,
                    "presentation_id": scr.presentation.id if scr.presentation else None})


@bp.get("/toets/status.json")
def status() -> Any:
    """The state and time left, read only."""
    attempt = _attempt()
    return _status(attempts.current_screen(db(), clock(), _content(), attempt, _grace()))


@bp.post("/toets/status.json")
def heartbeat() -> Any:
    """The page's heartbeat: notes the contact (room view) and carries out due transitions (a
    section whose time ran out is closed), then answers like the GET."""
    with _locked_attempt():
        pass
    return _status(g.next_screen)


@bp.post("/toets/verder")
def proceed() -> Any:
    step = request.form.get("step", "")
    with _locked_attempt(settle_first=True) as attempt:
        if attempt.paused_at is not None:
            return redirect(url_for("candidate.screen"))
        if step == "practice":
            attempts.start_practice(db(), clock(), attempt)
        elif step == "continue":
            pass  # the due transitions (the next unit) are carried out by the lock's advance
        elif step == "section":
            attempts.start_section(db(), clock(), _content(), attempt, form_int("section_index"))
    return redirect(url_for("candidate.screen"))


def opaque_ids(attempt: Attempt) -> OpaqueIds:
    """The opaque names of this attempt's items and options (delivery/opaque.py)."""
    return OpaqueIds(current_app.config["SECRET_KEY"], attempt.id, attempt.seed)


@bp.app_template_filter("opaque")
def _opaque(item_id: str, role: str = "item", value: str = "") -> str:
    """The only way a candidate template names an item or a part of it."""
    return g.opaque_ids.of(item_id, role, value)


#: Where a unit view names the parts of an item (their opaque role); no item type by name.
PART_ROLES = (("options", "option"), ("gaps", "gap"), ("sources", "source"),
              ("targets", "target"))


def opaque_table(view: dict[str, Any], ids: OpaqueIds) -> dict[str, str]:
    """Opaque name -> bank id for every item of a unit and every part of it."""
    table: dict[str, str] = {}
    for item in view.get("items", []):
        item_id, parts = item["id"], item["view"]
        table[ids.of(item_id)] = item_id
        for key, role in PART_ROLES:
            table.update(ids.reverse(item_id, role, parts.get(key) or []))
    return table


class _PostedForm:
    """The posted form as the item types read it: the opaque names and values of the page
    mapped back to the bank's ids, and every typed value cleaned (``textinput.clean_answer``:
    invalid characters are dropped, never refused, so an answer is not lost mid-exam)."""

    def __init__(self, form: Any, table: dict[str, str]) -> None:
        self._values: dict[str, list[str]] = {}
        for key in form:
            parts = key.split(".")
            if parts[0] == "r" and (len(parts) < 2 or parts[1] not in table):
                continue  # an answer field must name an item of the page by its opaque name
            bank_key = ".".join(table.get(part, part) for part in parts)
            self._values[bank_key] = [table.get(v, clean_answer(v)) for v in form.getlist(key)]

    def get(self, name: str, default: Any = None) -> Any:
        values = self._values.get(name)
        return values[0] if values else default

    def getlist(self, name: str) -> list[str]:
        return list(self._values.get(name, []))


def parse_answers(view: dict[str, Any], form: Any, ids: OpaqueIds) -> dict[str, Any]:
    """The posted form (opaque names and values) as the raw responses of
    ``toetsbatterij.items``, with the bank's ids (the item types parse their own fields:
    ``items.parse_posted_answers``)."""
    return parse_posted_answers(view, _PostedForm(form, opaque_table(view, ids)))


@bp.post("/toets/antwoord")
def answer() -> Any:
    presentation_id = form_id("presentation_id")
    with _locked_attempt() as attempt:
        pres = attempts.presentation_of(db(), attempt, presentation_id)
        if pres is None:
            raise InvalidInput("Deze vraag hoort niet bij uw toets.")
        view = _content().for_attempt(db(), attempt).candidate_view(pres.unit_id, attempt.seed)
        # The answer is stored, then (in the same transaction, committed before the redirect)
        # the next unit is chosen and presented. Past the deadline the section closes (earlier
        # answers are already committed); while paused the unit stays open and is shown again
        # after the pause. In both cases submit wrote nothing. A writing task's answer is the
        # last confirmed draft, a speaking task's the final take (productions).
        with contextlib.suppress(DeadlinePassed, AttemptPaused):
            attempts.submit(db(), clock(), _content(), attempt, presentation_id=presentation_id,
                            responses=complete_answers(
                                db(), _content(), attempt, pres,
                                parse_answers(view, request.form, opaque_ids(attempt))),
                            grace_seconds=_grace())
    if request.form.get("inline") == "1":
        # The page's script asks for the next screen in this response (no redirect round
        # trip); it puts /toets in the address bar, whose reload shows the same screen.
        return _render_screen(attempt, g.next_screen)
    return redirect(url_for("candidate.screen"))


# -- audio: each counted play is a single-use grant (delivery/media.py) --------------------------


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="media")


@bp.post("/toets/audio/<id:presentation_id>")
def play_audio(presentation_id: int) -> Any:
    with _locked_attempt(advance=False) as attempt:
        left = attempts.register_audio_play(db(), clock(), _content(), attempt, presentation_id,
                                            grace_seconds=_grace())
        play = db().get(Presentation, presentation_id).audio_plays  # type: ignore[union-attr]
    token = media_token(attempt.id, presentation_id, "audio", play=play)
    return jsonify({"url": url_for("candidate.media", token=token), "plays_left": left})


def media_token(attempt_id: int, presentation_id: int, kind: str, *, play: int = 0) -> str:
    """A signed media URL token: an image of a screen, or the grant of audio play ``play``."""
    data: dict[str, Any] = {"a": attempt_id, "p": presentation_id, "k": kind}
    if kind == "audio":
        data |= {"n": play, "g": secrets.token_urlsafe(16)}
    return _signer().dumps(data)


def _grant_policy() -> media.GrantPolicy:
    cfg = current_app.config
    return media.GrantPolicy(
        window_seconds=int(cfg["MEDIA_GRANT_WINDOW_SECONDS"]),
        max_requests=int(cfg["MEDIA_GRANT_MAX_REQUESTS"]),
        lifetime_seconds=int(cfg["MEDIA_URL_TTL_SECONDS"]) + int(cfg["MEDIA_GRANT_WINDOW_SECONDS"]))


def _from_start() -> bool:
    """Does this request ask for the file from its first byte (a new playback)?"""
    ranges = request.range.ranges if request.range is not None else None
    return not ranges or ranges[0][0] == 0


@bp.get("/media/<token>", endpoint="media")
def media_file(token: str) -> Any:
    attempt = _attempt()
    try:
        data = _signer().loads(token, max_age=current_app.config["MEDIA_URL_TTL_SECONDS"])
    except (SignatureExpired, BadSignature):
        raise NotAuthenticated("Deze link is verlopen.") from None
    if not isinstance(data, dict) or data.get("a") != attempt.id or not isinstance(
            data.get("p"), int):
        raise NotAuthenticated("Deze link hoort niet bij uw toets.")
    pres = db().get(Presentation, data["p"])
    if pres is None or pres.attempt_id != attempt.id:
        raise NotAuthenticated()
    kind = data.get("k", "audio")
    attempts.ensure_presentation_open(db(), clock(), attempt, pres, _grace())
    path = _content().for_attempt(db(), attempt).asset_path(pres.unit_id, kind)
    if path is None:
        raise InvalidInput("Geen bestand bij deze vraag.")
    if kind == "audio":
        if data.get("n") != pres.audio_plays or not pres.audio_plays:
            raise Conflict("Deze link is verlopen.", detail="not the latest counted play")
        media.use_grant(platform().state_store, clock(), str(data.get("g", "")),
                        from_start=_from_start(), policy=_grant_policy())
        path = media.stripped_copy(path, platform().instance_path / "media-cache")
    mimetype = "audio/ogg" if kind == "audio" else (
        mimetypes.guess_type(path.name)[0] or "application/octet-stream")
    response = send_file(path, mimetype=mimetype, conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/afmelden-kandidaat")
def candidate_logout() -> Any:
    """End this browser's candidate session. The browser keeps its device token, so the same
    candidate on the same PC can log in again; another PC stays refused until the proctor
    releases the device (a confirmed action in the room view)."""
    device = session.get("device")
    end_login_session()
    if device:
        session["device"] = device
    return redirect(url_for("candidate.login"))
