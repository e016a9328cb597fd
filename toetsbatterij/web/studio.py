"""The recording studio for item authors (the psychometrician role, the custodian of the item
bank): the audio stimuli of the bank with their voices, the recording page of one stimulus
(speakers per role, a take per turn, the assembled preview) and the replacement of the bank's
file. Thin views over ``toetsbatterij.studio.service``; the recorder in the browser is
``static/studio.js`` on the shared ``static/recorder.js``.

A stimulus is named by its unit id in the query string or the form (``stimulus``), never in the
path: the bank is shared by every agency, and an author's takes are their own (one folder per
account), so there is nothing of another agency to name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext

from toetsbatterij.accounts.models import ROLE_PSYCHOMETRICIAN
from toetsbatterij.errors import Conflict, InvalidInput
from toetsbatterij.i18n import N_
from toetsbatterij.items import Bank, load_bank_cached
from toetsbatterij.items.voice_check import voice_reports
from toetsbatterij.studio import service
from toetsbatterij.studio.assembly import InvalidTake
from toetsbatterij.web.auth import actor_id, org_id, require_roles
from toetsbatterij.web.context import clock, db, platform

bp = Blueprint("studio", __name__, url_prefix="/beheer/studio")
STUDIO_KEY = "toetsbatterij.studio"
AUTHORS = (ROLE_PSYCHOMETRICIAN,)


def init_app(app: Flask) -> None:
    app.extensions[STUDIO_KEY] = service.studio_for(app.config, Path(app.instance_path))
    app.register_blueprint(bp)


def studio() -> service.Studio:
    return current_app.extensions[STUDIO_KEY]


def bank() -> Bank:
    """The bank on disk as it is now (reloaded after a file changed: a replaced recording
    shows at once), problems and all: the studio must open on a bank that fails its check."""
    return load_bank_cached(platform().itembank_path, strict=False)


def _stimulus_arg() -> str:
    value = request.values.get("stimulus", "")
    if not value or len(value) > 64:
        raise InvalidInput(N_("Kies een stimulus."))
    return value


@bp.get("")
@require_roles(*AUTHORS)
def index() -> Any:
    current = bank()
    return render_template("staff/studio.html", stimuli=service.audio_stimuli(current),
                           busy=studio().in_progress(actor_id()),
                           reports=voice_reports(current))


@bp.get("/opnemen")
@require_roles(*AUTHORS)
def record() -> Any:
    ws = studio().workspace(bank(), actor_id(), _stimulus_arg())
    limits = studio().limits
    return render_template("staff/studio_record.html", ws=ws, stim=ws.stimulus,
                           max_seconds=int(limits.max_seconds), max_bytes=limits.max_bytes)


@bp.post("/sprekers")
@require_roles(*AUTHORS)
def speakers() -> Any:
    unit_id = _stimulus_arg()
    studio().save_speakers(bank(), actor_id(), unit_id, request.form)
    flash(gettext("De sprekers zijn bewaard."), "success")
    return redirect(url_for("studio.record", stimulus=unit_id))


@bp.post("/opname")
@require_roles(*AUTHORS)
def upload_take() -> Any:
    """One take of one turn: the body is the recording (``Content-Type`` its type); at most
    one take's size is read (``STUDIO_TAKE_MAX_BYTES``)."""
    limit = studio().limits.max_bytes
    if request.content_length is not None and request.content_length > limit:
        raise InvalidTake(N_("De opname is te groot (hoogstens %(max)s kB)."),
                          params={"max": limit // 1000})
    request.max_content_length = limit
    unit_id = _stimulus_arg()
    take = studio().save_take(bank(), clock(), actor_id(), unit_id, request.args.get("turn"),
                              request.get_data(cache=False), request.content_type or "")
    return jsonify({"turn": take.turn, "seconds": round(take.seconds, 1),
                    "url": url_for("studio.take_audio", stimulus=unit_id, turn=take.turn,
                                   v=take.recorded_at)})


@bp.get("/opname/beluisteren")
@require_roles(*AUTHORS)
def take_audio() -> Any:
    path, mime = studio().take_file(bank(), actor_id(), _stimulus_arg(), request.args.get("turn"))
    return _audio(path, mime)


@bp.post("/samenvoegen")
@require_roles(*AUTHORS)
def assemble() -> Any:
    unit_id = _stimulus_arg()
    seconds = studio().assemble_preview(bank(), actor_id(), unit_id)
    flash(gettext("De beurten zijn samengevoegd (%(seconds)s s). Beluister het geheel voor u "
                  "het bestand in de itembank vervangt.", seconds=f"{seconds:.1f}"), "success")
    return redirect(url_for("studio.record", stimulus=unit_id, _anchor="review"))


@bp.get("/voorbeeld")
@require_roles(*AUTHORS)
def preview() -> Any:
    return _audio(studio().preview_file(bank(), actor_id(), _stimulus_arg()), "audio/ogg")


@bp.post("/vervangen")
@require_roles(*AUTHORS)
def replace() -> Any:
    unit_id = _stimulus_arg()
    if request.form.get("confirm") != "y":
        raise Conflict(N_("Bevestig dat u het bestand in de itembank wilt vervangen."))
    studio().replace(db(), clock(), bank(), organisation_id=org_id(), account_id=actor_id(),
                     unit_id=unit_id)
    flash(gettext("De menselijke opname van %(unit)s staat nu in de itembank. Controleer de "
                  "itembank (python -m toetsbatterij.items check) en laat de wijziging "
                  "reviewen.", unit=unit_id), "success")
    return redirect(url_for("studio.index"))


@bp.post("/weggooien")
@require_roles(*AUTHORS)
def discard() -> Any:
    unit_id = _stimulus_arg()
    service.stimulus(bank(), unit_id)
    studio().discard(actor_id(), unit_id)
    flash(gettext("De opnames van %(unit)s zijn verwijderd.", unit=unit_id), "success")
    return redirect(url_for("studio.record", stimulus=unit_id))


def _audio(path: Path, mime: str) -> Response:
    """A take or the preview (at most a few minutes of Opus): whole or by range, never cached."""
    data = path.read_bytes()
    resp = Response(data, mimetype=mime)
    resp.headers["Cache-Control"] = "no-store"
    return resp.make_conditional(request, accept_ranges=True, complete_length=len(data))
