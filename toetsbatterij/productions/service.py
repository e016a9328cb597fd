"""Use-cases of writing and speaking: autosaved drafts, chunked recordings, the microphone check.

Every upload is checked against the attempt as it stands in the database: the presentation must
be the one on the candidate's screen (the open one of the current section or practice block),
of this attempt, not answered, not paused, inside the section's deadline (+ the submit grace),
and the item must be of the right type. Services flush, never commit.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from toetsbatterij.clock import Clock
from toetsbatterij.delivery.models import (
    ENDED,
    FINISHED,
    PRACTICE,
    SECTION,
    Attempt,
    Presentation,
    Response,
    SectionRun,
)
from toetsbatterij.errors import AttemptPaused, Conflict, DeadlinePassed, InvalidInput, NotFound
from toetsbatterij.i18n import N_
from toetsbatterij.productions import media
from toetsbatterij.productions.models import (
    MicrophoneCheck,
    RecordingPart,
    RecordingTake,
    WritingDraft,
)
from toetsbatterij.productions.storage import RecordingStorage

PRACTICE_SECTION = -1
#: The longest text stored for a writing task (characters), as ``items`` accepts as an answer.
MAX_TEXT = 20000
WRITING, SPEAKING = "extended_text", "spoken_response"


class StaleSave(Conflict):
    """A save based on an older version than the one stored (409 with the stored version)."""

    default_message = N_("Er is intussen een nieuwere versie van uw tekst bewaard. "
                         "De pagina laadt die versie.")

    def __init__(self, stored_version: int) -> None:
        super().__init__(detail=f"stored version is {stored_version}")
        self.stored_version = stored_version


class ChunkOutOfOrder(Conflict):
    default_message = N_("Een stuk van de opname kwam niet in de goede volgorde aan.")

    def __init__(self, expected: int) -> None:
        super().__init__(detail=f"expected chunk {expected}")
        self.expected = expected


class UnsupportedRecording(InvalidInput):
    http_status = 415
    default_message = N_("Deze opname kan de server niet bewaren (verkeerd soort bestand).")


class ChunkTooLarge(InvalidInput):
    http_status = 413
    default_message = N_("Dit stuk van de opname is te groot.")


class RecordingTooLong(Conflict):
    default_message = N_("De opname is langer dan de tijd voor deze opdracht.")


@dataclass(frozen=True)
class RecordingLimits:
    """From the configuration (``RECORDING_*`` keys)."""

    chunk_max_bytes: int = 256 * 1024
    chunk_seconds: float = 2.0
    margin_seconds: float = 3.0
    max_parts: int = 8


@dataclass(frozen=True)
class PartStarted:
    take: int
    part: int
    takes_left: int  # re-recordings still allowed after this take
    seconds_left: float  # recording time left in this take


@dataclass(frozen=True)
class ChunkAck:
    seq: int
    duplicate: bool = False


@dataclass(frozen=True)
class TakeAudio:
    """A take as raters hear it: one playable file per part (one part unless the recording was
    interrupted and resumed). ``data`` is the take's only part, or for Ogg the parts chained
    (a chained Ogg stream is one valid file)."""

    uid: str
    mime_type: str
    parts: list[bytes]

    @property
    def data(self) -> bytes:
        if len(self.parts) == 1 or self.mime_type == "audio/ogg":
            return b"".join(self.parts)
        raise ValueError("a WebM take of several parts is played part by part (see parts)")


# -- the presentation on screen ------------------------------------------------------------------


def shown_item(db: Session, clock: Clock, content: Any, attempt: Attempt, *, presentation_id: int,
               item_id: str, item_type: str, grace_seconds: int = 2) -> tuple[Presentation,
                                                                                dict[str, Any]]:
    """The presentation and the item view an upload is for, or a clear refusal."""
    pres = db.get(Presentation, presentation_id)
    if pres is None or pres.attempt_id != attempt.id or item_id not in pres.item_ids:
        raise InvalidInput("Deze vraag hoort niet bij uw toets.")
    if attempt.state in (FINISHED, ENDED):
        raise Conflict("De toets is al afgelopen.")
    if pres.answered_at is not None:
        raise Conflict("Deze opdracht is al afgegeven.")
    if attempt.paused_at is not None:
        raise AttemptPaused()
    if pres.section_index == PRACTICE_SECTION:
        if attempt.state != PRACTICE:
            raise Conflict("Deze opdracht staat niet meer op uw scherm.")
    else:
        if attempt.state != SECTION or attempt.section_index != pres.section_index:
            raise Conflict("Deze opdracht staat niet meer op uw scherm.")
        run = db.scalar(select(SectionRun).where(SectionRun.attempt_id == attempt.id,
                                                 SectionRun.section_index == pres.section_index))
        if run is None or run.finished_at is not None or (
                clock.now() > run.deadline_at + dt.timedelta(seconds=grace_seconds)):
            raise DeadlinePassed()
    first_open = db.scalar(select(func.min(Presentation.position)).where(
        Presentation.attempt_id == attempt.id, Presentation.section_index == pres.section_index,
        Presentation.answered_at.is_(None)))
    if first_open != pres.position:
        raise Conflict("Deze opdracht staat niet meer op uw scherm.")
    view = content.for_attempt(db, attempt).candidate_view(pres.unit_id, attempt.seed)
    item = next((i for i in view["items"] if i["id"] == item_id), None)
    if item is None or item["type"] != item_type:
        raise InvalidInput("Deze vraag hoort niet bij uw toets.")
    return pres, item["view"]


# -- writing -------------------------------------------------------------------------------------


def draft(db: Session, presentation_id: int, item_id: str) -> WritingDraft | None:
    return db.scalar(select(WritingDraft).where(WritingDraft.presentation_id == presentation_id,
                                                WritingDraft.item_id == item_id))


def save_draft(db: Session, clock: Clock, content: Any, attempt: Attempt, *, presentation_id: int,
               item_id: str, base_version: int, text: Any, grace_seconds: int = 2) -> int:
    """Store ``text`` if it is based on the stored version; returns the new version.

    Raises StaleSave (with the stored version) for a save based on an older (or unknown)
    version: a late retry or a second tab never overwrites a newer text.
    """
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise InvalidInput("Deze tekst kan niet bewaard worden (te lang of geen tekst).")
    if not isinstance(base_version, int) or isinstance(base_version, bool) or base_version < 0:
        raise InvalidInput("Deze tekst kan niet bewaard worden (te lang of geen tekst).")
    shown_item(db, clock, content, attempt, presentation_id=presentation_id, item_id=item_id,
               item_type=WRITING, grace_seconds=grace_seconds)
    now = clock.now()
    current = draft(db, presentation_id, item_id)
    if current is None:
        if base_version != 0:
            raise StaleSave(0)
        row = WritingDraft(attempt_id=attempt.id, presentation_id=presentation_id,
                           item_id=item_id, version=1, text=text, saved_at=now)
        try:
            with db.begin_nested():
                db.add(row)
                db.flush()
        except IntegrityError:
            # A concurrent first save of the same task won: this one is based on nothing.
            stored = draft(db, presentation_id, item_id)
            raise StaleSave(stored.version if stored else 0) from None
        return 1
    # Compare-and-set in the database: two saves racing on one base version store once.
    result = db.execute(
        update(WritingDraft)
        .where(WritingDraft.id == current.id, WritingDraft.version == base_version)
        .values(version=base_version + 1, text=text, saved_at=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.refresh(current)
        raise StaleSave(current.version)
    db.refresh(current)
    return base_version + 1


# -- speaking ------------------------------------------------------------------------------------


def _mime(content_type: str) -> str:
    mime, params = media.base_type(content_type)
    if mime not in media.CONTAINERS or params.get("codecs", "opus") != "opus":
        raise UnsupportedRecording()
    return mime


def _takes(db: Session, presentation_id: int, item_id: str) -> list[RecordingTake]:
    return list(db.scalars(select(RecordingTake).where(
        RecordingTake.presentation_id == presentation_id, RecordingTake.item_id == item_id)
        .order_by(RecordingTake.number)))


def _parts(db: Session, take: RecordingTake) -> list[RecordingPart]:
    return list(db.scalars(select(RecordingPart).where(RecordingPart.take_id == take.id)
                           .order_by(RecordingPart.number)))


def _max_ms(view: dict[str, Any], limits: RecordingLimits) -> float:
    return (float(view["response_seconds"]) + limits.margin_seconds) * 1000


def _max_chunks(view: dict[str, Any], limits: RecordingLimits, parts: int) -> int:
    # Each part ends with a chunk shorter than the timeslice (stop, crash): one extra per part.
    return math.ceil(_max_ms(view, limits) / (limits.chunk_seconds * 1000)) + max(0, parts - 1)


def _recorded_ms(parts: list[RecordingPart], limits: RecordingLimits) -> float:
    """A take's recorded length: per part the container's time stamps, or chunks x timeslice
    for a part whose container told nothing."""
    return sum(max(p.media_ms, (p.chunk_count - 1) * limits.chunk_seconds * 1000)
               for p in parts if p.chunk_count)


def start_recording(db: Session, clock: Clock, content: Any, attempt: Attempt, *,
                    presentation_id: int, item_id: str, content_type: str, new_take: bool,
                    limits: RecordingLimits = RecordingLimits(),
                    grace_seconds: int = 2) -> PartStarted:
    """Begin a take (the first, or a re-recording when ``new_take``) or resume the current take
    as a new part (after a crash or a lost network)."""
    _, view = shown_item(db, clock, content, attempt, presentation_id=presentation_id,
                         item_id=item_id, item_type=SPEAKING, grace_seconds=grace_seconds)
    mime = _mime(content_type)
    allowed = 1 + int(view.get("retakes", 1))
    takes = _takes(db, presentation_id, item_id)
    now = clock.now()
    take = takes[-1] if takes else None
    if take is not None and new_take and not any(p.chunk_count for p in _parts(db, take)):
        new_take = False  # the last take holds no sound: record it again, no retake used
        take.stopped_at = None
    if take is None or new_take:
        number = 1 if take is None else take.number + 1
        if number > allowed:
            raise Conflict("U kunt deze opdracht niet nog een keer opnemen.")
        take = RecordingTake(uid=secrets.token_hex(16), attempt_id=attempt.id,
                             presentation_id=presentation_id, item_id=item_id, number=number,
                             started_at=now)
        try:
            with db.begin_nested():
                db.add(take)
                db.flush()
        except IntegrityError:
            raise Conflict("Deze opname is niet meer open.") from None
    elif take.stopped_at is not None:
        raise Conflict("Deze opname is niet meer open.")
    parts = _parts(db, take)
    if parts and parts[-1].chunk_count == 0:
        part = parts[-1]  # nothing arrived for it: reuse the number, the new recorder's type
        part.mime_type, part.started_at = mime, now
    else:
        if len(parts) >= limits.max_parts:
            raise Conflict("Deze opname is te vaak onderbroken. Verwittig de toetsbegeleider.")
        left = _max_ms(view, limits) - limits.margin_seconds * 1000 - _recorded_ms(parts, limits)
        if parts and left <= 0:
            raise RecordingTooLong()
        part = RecordingPart(take_id=take.id, number=len(parts), mime_type=mime, started_at=now)
        db.add(part)
        parts.append(part)
    db.flush()
    seconds_left = max(0.0, float(view["response_seconds"])
                       - _recorded_ms(parts, limits) / 1000)
    return PartStarted(take=take.number, part=part.number, takes_left=allowed - take.number,
                       seconds_left=seconds_left)


def add_chunk(db: Session, clock: Clock, content: Any, storage: RecordingStorage,
              attempt: Attempt, *, presentation_id: int, item_id: str, take: int, part: int,
              seq: int, content_type: str, data: bytes,
              limits: RecordingLimits = RecordingLimits(), grace_seconds: int = 2) -> ChunkAck:
    """Store chunk ``seq`` of a part, after every check; the acknowledgement means stored."""
    if len(data) > limits.chunk_max_bytes:
        raise ChunkTooLarge()
    if not data:
        raise UnsupportedRecording(N_("Dit is geen geldige opname."))
    _, view = shown_item(db, clock, content, attempt, presentation_id=presentation_id,
                         item_id=item_id, item_type=SPEAKING, grace_seconds=grace_seconds)
    mime = _mime(content_type)
    takes = _takes(db, presentation_id, item_id)
    if not takes or takes[-1].number != take or takes[-1].stopped_at is not None:
        raise Conflict("Deze opname is niet meer open.")
    rec = takes[-1]
    parts = _parts(db, rec)
    if not parts or parts[-1].number != part:
        raise Conflict("Deze opname is niet meer open.")
    current = parts[-1]
    if mime != current.mime_type:
        raise UnsupportedRecording()
    if seq == current.chunk_count - 1 and seq >= 0:
        return ChunkAck(seq=seq, duplicate=True)  # a retry after a lost acknowledgement
    if seq != current.chunk_count:
        raise ChunkOutOfOrder(current.chunk_count)
    if seq == 0 and not media.starts_container(mime, data):
        raise UnsupportedRecording(N_("Dit is geen geldige opname."))
    if sum(p.chunk_count for p in parts) + 1 > _max_chunks(view, limits, len(parts)):
        raise RecordingTooLong()
    stamp = media.media_ms(mime, data)
    earlier = _recorded_ms(parts[:-1], limits)
    if earlier + max(stamp, current.media_ms) > _max_ms(view, limits):
        raise RecordingTooLong()
    # The file first, then the count: an acknowledged chunk is always on disk; a chunk on disk
    # whose count was not committed is simply written again by the browser's retry.
    storage.put_chunk(rec.uid, current.number, seq, data)
    result = db.execute(
        update(RecordingPart)
        .where(RecordingPart.id == current.id, RecordingPart.chunk_count == seq)
        .values(chunk_count=seq + 1, byte_count=RecordingPart.byte_count + len(data),
                media_ms=max(stamp, current.media_ms), last_chunk_at=clock.now())
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise ChunkOutOfOrder(seq + 1)
    db.refresh(current)
    return ChunkAck(seq=seq)


def stop_recording(db: Session, clock: Clock, content: Any, attempt: Attempt, *,
                   presentation_id: int, item_id: str, take: int, grace_seconds: int = 2) -> None:
    shown_item(db, clock, content, attempt, presentation_id=presentation_id, item_id=item_id,
               item_type=SPEAKING, grace_seconds=grace_seconds)
    takes = _takes(db, presentation_id, item_id)
    if not takes or takes[-1].number != take:
        raise Conflict("Deze opname is niet meer open.")
    if takes[-1].stopped_at is None:
        takes[-1].stopped_at = clock.now()
        db.flush()


def final_take(db: Session, presentation_id: int, item_id: str) -> RecordingTake | None:
    """The take that counts: the last one that holds sound."""
    for take in reversed(_takes(db, presentation_id, item_id)):
        if any(p.chunk_count for p in _parts(db, take)):
            return take
    return None


def recording_state(db: Session, presentation_id: int, item_id: str,
                    limits: RecordingLimits = RecordingLimits()) -> dict[str, Any]:
    """For the speaking screen: how many takes were made and how much the last one holds."""
    takes = _takes(db, presentation_id, item_id)
    if not takes:
        return {"takes": 0, "recorded_seconds": 0.0, "stopped": False, "has_sound": False}
    parts = _parts(db, takes[-1])
    return {"takes": takes[-1].number, "recorded_seconds": _recorded_ms(parts, limits) / 1000,
            "stopped": takes[-1].stopped_at is not None,
            "has_sound": any(p.chunk_count for p in parts)}


def take_audio(db: Session, storage: RecordingStorage, take_uid: str) -> TakeAudio:
    """The stored sound of a take (for raters): one playable WebM/Ogg file per part."""
    take = db.scalar(select(RecordingTake).where(RecordingTake.uid == take_uid))
    if take is None:
        raise NotFound(None, detail=f"no take {take_uid}")
    parts = [p for p in _parts(db, take) if p.chunk_count]
    if not parts:
        raise NotFound(None, detail=f"take {take_uid} holds no sound")
    return TakeAudio(uid=take.uid, mime_type=parts[0].mime_type,
                     parts=[storage.read_part(take.uid, p.number, p.chunk_count) for p in parts])


# -- answers -------------------------------------------------------------------------------------


def complete_answers(db: Session, content: Any, attempt: Attempt, pres: Presentation,
                     responses: dict[str, Any]) -> dict[str, Any]:
    """The posted answers of a presentation with the productions the server holds: an empty or
    absent text becomes the last confirmed draft; a spoken answer is always the final take's id
    (never what the browser posts)."""
    out = dict(responses)
    view = content.for_attempt(db, attempt).candidate_view(pres.unit_id, attempt.seed)
    for item in view["items"]:
        if item["type"] == WRITING and not (out.get(item["id"]) or "").strip():
            saved = draft(db, pres.id, item["id"])
            out[item["id"]] = saved.text if saved is not None and saved.text.strip() else (
                out.get(item["id"]) or None)
        elif item["type"] == SPEAKING:
            take = final_take(db, pres.id, item["id"])
            out[item["id"]] = take.uid if take is not None else None
    return out


def answer_from_productions(db: Session, clock: Clock, content: Any, attempt: Attempt,
                            section_index: int) -> bool:
    """At the deadline: an open writing or speaking task of the section is answered with what the
    server holds (the last confirmed text, the final take), so nothing confirmed is lost when the
    page could not send it. Only for units made of productions alone. Returns True if stored."""
    pres = db.scalar(select(Presentation).where(
        Presentation.attempt_id == attempt.id, Presentation.section_index == section_index,
        Presentation.answered_at.is_(None)).order_by(Presentation.position))
    if pres is None:
        return False
    view = content.for_attempt(db, attempt).candidate_view(pres.unit_id, attempt.seed)
    if not view["items"] or any(i["type"] not in (WRITING, SPEAKING) for i in view["items"]):
        return False
    answers = complete_answers(db, content, attempt, pres, {})
    if all(v is None for v in answers.values()):
        return False
    now = clock.now()
    for item_id in pres.item_ids:
        raw = answers.get(item_id)
        db.add(Response(presentation_id=pres.id, attempt_id=attempt.id, item_id=item_id, raw=raw,
                        score=content.for_attempt(db, attempt).score(item_id, raw),
                        counts=pres.kind == "operational",
                        received_at=now))
    pres.answered_at = now
    db.flush()
    return True


# -- the microphone check ------------------------------------------------------------------------


def microphone_check(db: Session, attempt_id: int) -> MicrophoneCheck | None:
    return db.scalar(select(MicrophoneCheck).where(MicrophoneCheck.attempt_id == attempt_id))


def needs_microphone_check(db: Session, attempt: Attempt) -> bool:
    check = microphone_check(db, attempt.id)
    return check is None or not (check.ok or check.proceeded)


def record_microphone_check(db: Session, clock: Clock, attempt: Attempt, *, result: str) -> None:
    """``result``: ok (the candidate heard the recording), failed, or proceed (go on after a
    failure; the failure stays visible to the proctor)."""
    if result not in ("ok", "failed", "proceed"):
        raise InvalidInput()
    if attempt.state in (FINISHED, ENDED):
        raise Conflict("De toets is al afgelopen.")
    check = microphone_check(db, attempt.id)
    if check is None:
        check = MicrophoneCheck(attempt_id=attempt.id, ok=False, failures=0,
                                checked_at=clock.now())
        db.add(check)
    if result == "proceed":
        if check.ok or not check.failures:
            raise Conflict("Doe eerst de microfoontest.")
        check.proceeded = True
    else:
        check.ok = result == "ok"
        check.failures = (check.failures or 0) + (result == "failed")
        check.proceeded = False
    check.checked_at = clock.now()
    db.flush()


def microphone_results(db: Session, attempt_ids: list[int]) -> dict[int, str]:
    """attempt id -> "ok" | "failed", for the room view."""
    if not attempt_ids:
        return {}
    rows = db.scalars(select(MicrophoneCheck).where(MicrophoneCheck.attempt_id.in_(attempt_ids)))
    return {r.attempt_id: "ok" if r.ok else "failed" for r in rows}
