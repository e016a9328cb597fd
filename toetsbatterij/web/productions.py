"""Writing and speaking in the browser: autosave of texts, chunked upload of recordings, the
microphone check. Thin views over ``toetsbatterij.productions.service``; the candidate's login
and lock are those of ``web.candidate``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from toetsbatterij.delivery import accommodations
from toetsbatterij.delivery.models import Attempt, Presentation, TestDefinitionRecord
from toetsbatterij.errors import InvalidInput
from toetsbatterij.productions import service
from toetsbatterij.productions.storage import RecordingStorage, storage_for
from toetsbatterij.web.candidate import _content, _locked_attempt, opaque_ids, opaque_table
from toetsbatterij.web.context import clock, db
from toetsbatterij.web.errors import translate_error
from toetsbatterij.web.unit_of_work import mark_failed

bp = Blueprint("productions", __name__)
STORAGE_KEY = "toetsbatterij.recordings"


def init_app(app: Flask) -> None:
    app.extensions[STORAGE_KEY] = storage_for(app.config, Path(app.instance_path))
    app.register_blueprint(bp)
    app.context_processor(lambda: {"production": production_state})


def storage() -> RecordingStorage:
    return current_app.extensions[STORAGE_KEY]


def limits() -> service.RecordingLimits:
    cfg = current_app.config
    return service.RecordingLimits(chunk_max_bytes=cfg["RECORDING_CHUNK_MAX_BYTES"],
                                   chunk_seconds=float(cfg["RECORDING_CHUNK_SECONDS"]),
                                   margin_seconds=float(cfg["RECORDING_MARGIN_SECONDS"]),
                                   max_parts=cfg["RECORDING_MAX_PARTS"])


def _grace() -> int:
    return int(current_app.config["SUBMIT_GRACE_SECONDS"])


def _json() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput()
    return data


def _int(value: Any) -> int:
    try:
        if isinstance(value, bool):
            raise ValueError
        return int(value)
    except (TypeError, ValueError):
        raise InvalidInput() from None


def _str(value: Any) -> str:
    if not isinstance(value, str) or not value or len(value) > 40:
        raise InvalidInput()
    return value


def _bank_item(attempt: Any, presentation_id: Any, raw: Any) -> str:
    """The bank id of the item a page names by its opaque id (delivery/opaque.py)."""
    pres = db().get(Presentation, _int(presentation_id))
    if pres is None or pres.attempt_id != attempt.id:
        raise InvalidInput("Deze vraag hoort niet bij uw toets.")
    view = _content().for_attempt(db(), attempt).candidate_view(pres.unit_id, attempt.seed)
    item_id = opaque_table(view, opaque_ids(attempt)).get(_str(raw))
    if item_id is None:
        raise InvalidInput("Deze vraag hoort niet bij uw toets.")
    return item_id


# -- what the templates read (GET never writes) ---------------------------------------------------


def production_state(presentation: Presentation, item: dict[str, Any]) -> dict[str, Any]:
    """The stored draft (writing) or the recording so far (speaking) of one item on screen."""
    if item["type"] == service.WRITING:
        saved = service.draft(db(), presentation.id, item["id"])
        return {"version": saved.version if saved else 0, "text": saved.text if saved else "",
                "autosave_seconds": current_app.config["AUTOSAVE_SECONDS"]}
    if item["type"] == service.SPEAKING:
        state = service.recording_state(db(), presentation.id, item["id"], limits())
        # The preparation time runs from when the task was on screen: not during the
        # microphone check that may have been shown in its place first.
        since = presentation.presented_at
        check = service.microphone_check(db(), presentation.attempt_id)
        if check is not None and check.checked_at > since:
            since = check.checked_at
        shown = (clock().now() - since).total_seconds()
        # The task's preparation time, longer for a candidate with that accommodation.
        attempt = db().get(Attempt, presentation.attempt_id)
        prep = accommodations.for_candidate(db(), attempt.candidate_id).preparation_seconds(
            int(item["view"]["preparation_seconds"])) if attempt else int(
            item["view"]["preparation_seconds"])
        return {**state, "preparation_left": max(0, int(prep - shown)) if not state["takes"]
                else 0, "chunk_ms": int(float(current_app.config["RECORDING_CHUNK_SECONDS"])
                                        * 1000)}
    return {}


# -- writing -------------------------------------------------------------------------------------


@bp.post("/toets/tekst")
def save_text() -> Any:
    data = _json()
    try:
        with _locked_attempt(advance=False) as attempt:
            version = service.save_draft(
                db(), clock(), _content(), attempt,
                presentation_id=_int(data.get("presentation_id")),
                item_id=_bank_item(attempt, data.get("presentation_id"), data.get("item_id")),
                base_version=data.get("version"), text=data.get("text"), grace_seconds=_grace())
    except service.StaleSave as exc:
        mark_failed()
        return jsonify({"error": translate_error(exc), "status": 409,
                        "version": exc.stored_version}), 409
    return jsonify({"version": version})


# -- speaking ------------------------------------------------------------------------------------


@bp.post("/toets/opname/start")
def start_recording() -> Any:
    data = _json()
    with _locked_attempt(advance=False) as attempt:
        started = service.start_recording(
            db(), clock(), _content(), attempt, presentation_id=_int(data.get("presentation_id")),
            item_id=_bank_item(attempt, data.get("presentation_id"), data.get("item_id")),
            content_type=str(data.get("mime_type") or ""),
            new_take=bool(data.get("new_take")), limits=limits(), grace_seconds=_grace())
    return jsonify({"take": started.take, "part": started.part, "takes_left": started.takes_left,
                    "seconds_left": started.seconds_left})


@bp.post("/toets/opname/stuk")
def upload_chunk() -> Any:
    lim = limits()
    if request.content_length is not None and request.content_length > lim.chunk_max_bytes:
        raise service.ChunkTooLarge()  # refused before reading the body
    args = request.args
    body = request.get_data(cache=False)
    try:
        with _locked_attempt(advance=False) as attempt:
            ack = service.add_chunk(
                db(), clock(), _content(), storage(), attempt,
                presentation_id=_int(args.get("presentation_id")),
                item_id=_bank_item(attempt, args.get("presentation_id"), args.get("item_id")),
                take=_int(args.get("take")),
                part=_int(args.get("part")), seq=_int(args.get("seq")),
                content_type=request.content_type or "", data=body, limits=lim,
                grace_seconds=_grace())
    except service.ChunkOutOfOrder as exc:
        mark_failed()
        return jsonify({"error": translate_error(exc), "status": 409,
                        "expected": exc.expected}), 409
    return jsonify({"seq": ack.seq, "duplicate": ack.duplicate})


@bp.post("/toets/opname/stop")
def stop_recording() -> Any:
    data = _json()
    with _locked_attempt(advance=False) as attempt:
        service.stop_recording(db(), clock(), _content(), attempt,
                               presentation_id=_int(data.get("presentation_id")),
                               item_id=_bank_item(attempt, data.get("presentation_id"),
                                                  data.get("item_id")),
                               take=_int(data.get("take")),
                               grace_seconds=_grace())
    return jsonify({"ok": True})


# -- the microphone check ------------------------------------------------------------------------


def _speaking_next(attempt: Any, scr: Any) -> bool:
    if scr.kind in ("practice", "item"):
        return any(i["type"] == service.SPEAKING for i in scr.view.get("items", []))
    if scr.kind == "section_intro":
        definition = db().get(TestDefinitionRecord, attempt.test_definition_id)
        sections = definition.manifest["sections"] if definition else []
        index = scr.section_number - 1
        return 0 <= index < len(sections) and sections[index]["skill"] == "speaking"
    return False


def microphone_screen(attempt: Any, scr: Any) -> Any | None:
    """Before the first speaking task (its practice, its section): the microphone check, until
    the candidate confirms it works or goes on after telling it did not."""
    if not _speaking_next(attempt, scr) or not service.needs_microphone_check(db(), attempt):
        return None
    check = service.microphone_check(db(), attempt.id)
    return render_template("candidate/microphone.html", screen=scr,
                           failed=bool(check and check.failures and not check.ok))


@bp.post("/toets/microfoon")
def microphone_result() -> Any:
    with _locked_attempt() as attempt:
        service.record_microphone_check(db(), clock(), attempt,
                                        result=request.form.get("result", ""))
    return redirect(url_for("candidate.screen"))


def microphone_column(db_session: Any, rows: list[dict[str, Any]]) -> None:
    """The room view's microphone column: "ok" / "failed" / None per candidate row."""
    results = service.microphone_results(db_session, [r["attempt_id"] for r in rows
                                                      if r.get("attempt_id")])
    for row in rows:
        row["microphone"] = results.get(row.get("attempt_id"))


