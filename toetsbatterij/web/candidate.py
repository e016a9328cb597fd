"""The candidate's screens: login with ticket, instructions, practice, sections, end screen.

One item (or testlet) per screen; the server decides what comes next (no back navigation).
"""

from __future__ import annotations

import mimetypes
from typing import Any

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from toetsbatterij.delivery import attempts
from toetsbatterij.delivery.models import Attempt, Candidate, Presentation
from toetsbatterij.errors import (
    AttemptPaused,
    DeadlinePassed,
    DomainError,
    InvalidInput,
    LoginFailed,
    NotAuthenticated,
)
from toetsbatterij.i18n import LANGUAGES
from toetsbatterij.productions.service import complete_answers
from toetsbatterij.web import context
from toetsbatterij.web.auth import rotate_session
from toetsbatterij.web.context import clock, db, publish, services, staff_text
from toetsbatterij.web.errors import translate_error

bp = Blueprint("candidate", __name__)


def _content() -> Any:
    return services().bank


def _attempt() -> Attempt:
    attempt_id, device = session.get("attempt_id"), session.get("device")
    if not attempt_id or not device:
        raise NotAuthenticated("Meld aan met de codes op uw ticket.")
    return attempts.resume(db(), clock(), attempt_id=int(attempt_id), device_token=str(device))


def _feed(attempt: Attempt, message: str, **params: Any) -> None:
    """Put ``message`` (a Dutch msgid with ``%(name)s``) on the room feed, in the staff language."""
    cand = db().get(Candidate, attempt.candidate_id)
    if cand is not None:
        publish(cand.exam_session_id,
                staff_text(message, name=f"{cand.first_name} {cand.last_name}", **params),
                candidate_id=cand.id)


def _lock(attempt: Attempt) -> Any:
    # Serialises one candidate's own requests (double clicks, two tabs) across workers; the
    # unique constraints stay the real guard when the lock times out.
    return services().state_store.lock(f"attempt:{attempt.id}", ttl_seconds=10)


@bp.get("/")
def login() -> Any:
    if session.get("attempt_id"):
        return redirect(url_for("candidate.screen"))
    # Before the codes are typed the registration is unknown: the candidate may pick the
    # language of the screens from the list on the page; after login the registration decides.
    chosen = request.args.get("taal", "")
    if chosen in LANGUAGES:
        session["lang"] = chosen
    return render_template("candidate/login.html")


@bp.post("/aanmelden")
def do_login() -> Any:
    try:
        cand, attempt, device = attempts.candidate_login(
            db(), clock(), session_code=request.form.get("session_code", ""),
            access_code=request.form.get("access_code", ""), device_token=session.get("device"))
    except DomainError as exc:
        if isinstance(exc, LoginFailed):
            db().commit()  # keep the failure count (delivery.throttle); nothing else changed
        else:
            db().rollback()
        return render_template("candidate/login.html", error=translate_error(exc),
                               session_code=request.form.get("session_code", "")), \
            exc.http_status
    db().commit()
    publish(cand.exam_session_id,
            staff_text(context.FEED_LOGGED_IN, name=f"{cand.first_name} {cand.last_name}"),
            candidate_id=cand.id)
    rotate_session()
    session["attempt_id"] = attempt.id
    session["device"] = device
    session["lang"] = cand.instruction_language
    return redirect(url_for("candidate.screen"))


@bp.get("/toets")
def screen() -> Any:
    try:
        attempt = _attempt()
    except NotAuthenticated:
        session.pop("attempt_id", None)
        return redirect(url_for("candidate.login"))
    with _lock(attempt):
        scr = attempts.current_screen(db(), clock(), _content(), attempt,
                                      current_app.config["SUBMIT_GRACE_SECONDS"])
        # The presented unit is committed BEFORE the page is rendered and sent.
        db().commit()
    from toetsbatterij.web.productions import microphone_screen

    mic = microphone_screen(attempt, scr)
    if mic is not None:
        return mic
    image_url = None
    if scr.presentation is not None and (scr.view.get("stimulus") or {}).get("kind") == "image":
        image_url = url_for("candidate.media", token=media_token(attempt.id, scr.presentation.id,
                                                                 "image"))
    return render_template(f"candidate/{scr.kind}.html", screen=scr, image_url=image_url,
                           poll_seconds=current_app.config["LIVE_POLL_SECONDS"])


@bp.get("/toets/status.json")
def status() -> Any:
    attempt = _attempt()
    scr = attempts.current_screen(db(), clock(), _content(), attempt,
                                  current_app.config["SUBMIT_GRACE_SECONDS"])
    db().commit()
    return jsonify({"kind": scr.kind, "remaining_seconds": scr.remaining_seconds,
                    "presentation_id": scr.presentation.id if scr.presentation else None})


@bp.post("/toets/verder")
def proceed() -> Any:
    attempt = _attempt()
    step = request.form.get("step", "")
    if attempt.paused_at is not None:
        return redirect(url_for("candidate.screen"))
    if step == "practice":
        attempts.start_practice(db(), clock(), attempt)
    elif step == "section":
        try:
            index = int(request.form.get("section_index", ""))
        except ValueError:
            raise InvalidInput() from None
        attempts.start_section(db(), clock(), attempt, index)
    db().commit()
    _feed(attempt, context.FEED_PRACTICE if step == "practice" else context.FEED_SECTION)
    return redirect(url_for("candidate.screen"))


def parse_answers(view: dict[str, Any], form: Any) -> dict[str, Any]:
    """Turn the posted form into the raw responses of ``toetsbatterij.items`` (per type)."""
    out: dict[str, Any] = {}
    for item in view.get("items", []):
        name, kind, v = f"r.{item['id']}", item["type"], item["view"]
        if kind == "single_choice":
            out[item["id"]] = form.get(name) or None
        elif kind == "multiple_response":
            out[item["id"]] = [x for x in form.getlist(name) if x]
        elif kind == "text_entry":
            out[item["id"]] = {g["id"]: form.get(f"{name}.{g['id']}", "") for g in v["gaps"]}
        elif kind == "ordering":
            chosen = [form.get(f"{name}.{i}", "") for i in range(len(v["options"]))]
            # With one select list per place a candidate can pick an option twice or leave a
            # place empty: that order cannot be right, and must not become an error page.
            complete = all(chosen) and len(set(chosen)) == len(chosen)
            out[item["id"]] = chosen if complete else None
        elif kind == "matching":
            out[item["id"]] = {s["id"]: form.get(f"{name}.{s['id']}")
                               for s in v["sources"] if form.get(f"{name}.{s['id']}")}
        elif kind == "extended_text":
            out[item["id"]] = form.get(name) or None
        else:
            out[item["id"]] = None
    return out


@bp.post("/toets/antwoord")
def answer() -> Any:
    attempt = _attempt()
    try:
        presentation_id = int(request.form.get("presentation_id", ""))
    except ValueError:
        raise InvalidInput() from None
    pres = db().get(Presentation, presentation_id)
    if pres is None or pres.attempt_id != attempt.id:
        raise InvalidInput("Deze vraag hoort niet bij uw toets.")
    view = _content().candidate_view(pres.unit_id, attempt.seed)
    try:
        with _lock(attempt):
            stored = attempts.submit(db(), clock(), _content(), attempt,
                                     presentation_id=presentation_id,
                                     responses=complete_answers(
                                         db(), _content(), attempt, pres,
                                         parse_answers(view, request.form)),
                                     grace_seconds=current_app.config["SUBMIT_GRACE_SECONDS"])
            db().commit()  # the answer is committed before the next unit is chosen
    except (DeadlinePassed, AttemptPaused):
        # Deadline: the screen closes the section (earlier answers are already committed).
        # Pause: the unit stays open and is shown again after the pause.
        db().rollback()
    else:
        if stored:
            _feed(attempt, context.FEED_ANSWERED, number=pres.position + 1)
    return redirect(url_for("candidate.screen"))


# -- audio: plays counted on the server, URLs bound to the attempt and short-lived --------------


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="media")


@bp.post("/toets/audio/<int:presentation_id>")
def play_audio(presentation_id: int) -> Any:
    attempt = _attempt()
    left = attempts.register_audio_play(db(), _content(), attempt, presentation_id)
    db().commit()
    token = media_token(attempt.id, presentation_id, "audio")
    return jsonify({"url": url_for("candidate.media", token=token), "plays_left": left})


def media_token(attempt_id: int, presentation_id: int, kind: str) -> str:
    return _signer().dumps({"a": attempt_id, "p": presentation_id, "k": kind})


@bp.get("/media/<token>")
def media(token: str) -> Any:
    attempt = _attempt()
    try:
        data = _signer().loads(token, max_age=current_app.config["MEDIA_URL_TTL_SECONDS"])
    except (SignatureExpired, BadSignature):
        raise NotAuthenticated("Deze link is verlopen.") from None
    if data.get("a") != attempt.id:
        raise NotAuthenticated("Deze link hoort niet bij uw toets.")
    pres = db().get(Presentation, int(data["p"]))
    if pres is None or pres.attempt_id != attempt.id:
        raise NotAuthenticated()
    kind = data.get("k", "audio")
    path = _content().asset_path(pres.unit_id, kind)
    if path is None:
        raise InvalidInput("Geen bestand bij deze vraag.")
    mimetype = "audio/ogg" if kind == "audio" else (
        mimetypes.guess_type(path.name)[0] or "application/octet-stream")
    response = send_file(path, mimetype=mimetype, conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/afmelden-kandidaat")
def candidate_logout() -> Any:
    session.clear()
    return redirect(url_for("candidate.login"))
