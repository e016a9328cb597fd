"""Accommodations per candidate: set by staff (at registration, in the CSV import, or changed
afterwards), applied by the server.

- extra time: a percentage on every section's time limit (``attempts._limit_seconds``);
- larger text: every candidate screen is drawn larger (a page class, ``web/candidate.py``);
- more audio plays: +1 or +2 on each fragment's maximum, counted where the plays are counted
  (``attempts.register_audio_play``) and shown on the screen;
- longer speaking preparation: a percentage on a speaking task's preparation time, through
  :func:`for_candidate` (``Accommodations.preparation_seconds``) for the speaking screen.

A changed extra time applies to the sections that have not started yet: a running section
keeps its deadline (the proctor gives minutes in the room for that).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from toetsbatterij.audit.service import record
from toetsbatterij.clock import Clock
from toetsbatterij.delivery.models import Candidate
from toetsbatterij.errors import InvalidInput, NotFound
from toetsbatterij.i18n import N_

MAX_EXTRA_TIME_PERCENT = 100
MAX_EXTRA_AUDIO_PLAYS = 2
MAX_SPEAKING_PREP_PERCENT = 100
FIELDS = ("extra_time_percent", "larger_text", "extra_audio_plays", "speaking_prep_percent")

# Short Dutch labels for the staff screens (room view, candidate list).
LABELS = {"larger_text": N_("grote tekst"), "extra_audio_plays": N_("+%(count)s beluisteren"),
          "speaking_prep_percent": N_("+%(percent)s %% voorbereiding")}


@dataclass(frozen=True)
class Accommodations:
    extra_time_percent: int = 0
    larger_text: bool = False
    extra_audio_plays: int = 0
    speaking_prep_percent: int = 0

    def time_limit_seconds(self, base_seconds: int) -> int:
        return base_seconds + base_seconds * self.extra_time_percent // 100

    def max_plays(self, base_plays: int) -> int:
        """The plays of a fragment; a unit without audio (0 plays) stays without."""
        return base_plays + self.extra_audio_plays if base_plays > 0 else 0

    def preparation_seconds(self, base_seconds: int) -> int:
        """A speaking task's preparation time for this candidate (whole seconds, rounded up)."""
        return base_seconds + -(-base_seconds * self.speaking_prep_percent // 100)

    @property
    def any(self) -> bool:
        return any(getattr(self, name) for name in FIELDS)

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}


def of(candidate: Candidate) -> Accommodations:
    return Accommodations(extra_time_percent=candidate.extra_time_percent or 0,
                          larger_text=bool(candidate.larger_text),
                          extra_audio_plays=candidate.extra_audio_plays or 0,
                          speaking_prep_percent=candidate.speaking_prep_percent or 0)


def for_candidate(db: Session, candidate_id: int) -> Accommodations:
    """The accommodations the server applies for this candidate (none for an unknown id)."""
    cand = db.get(Candidate, candidate_id)
    return of(cand) if cand is not None else Accommodations()


def _whole(raw: Any, name: str, low: int, high: int, message: str) -> int:
    if isinstance(raw, bool):
        raise InvalidInput(message, field=name)
    try:
        value = int(str(raw).strip() or 0) if raw is not None else 0
    except (TypeError, ValueError):
        raise InvalidInput(message, field=name) from None
    if not low <= value <= high:
        raise InvalidInput(message, field=name)
    return value


_YES = {"1", "true", "ja", "j", "yes", "y", "x", "on"}
_NO = {"", "0", "false", "nee", "n", "no", "off"}


def _flag(raw: Any, name: str) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw if raw is not None else "").strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise InvalidInput("Grote tekst: gebruik ja of nee.", field=name)


def clean(*, extra_time_percent: Any = 0, larger_text: Any = False, extra_audio_plays: Any = 0,
          speaking_prep_percent: Any = 0) -> dict[str, Any]:
    """Validate accommodations from a form or a CSV row; raise InvalidInput (Dutch, with the
    field) on the first wrong value."""
    return {
        "extra_time_percent": _whole(extra_time_percent, "extra_time_percent", 0,
                                     MAX_EXTRA_TIME_PERCENT,
                                     N_("Extra tijd is een geheel percentage van 0 tot 100.")),
        "larger_text": _flag(larger_text, "larger_text"),
        "extra_audio_plays": _whole(extra_audio_plays, "extra_audio_plays", 0,
                                    MAX_EXTRA_AUDIO_PLAYS,
                                    N_("Extra keren beluisteren: 0, 1 of 2.")),
        "speaking_prep_percent": _whole(
            speaking_prep_percent, "speaking_prep_percent", 0, MAX_SPEAKING_PREP_PERCENT,
            N_("Extra voorbereidingstijd is een geheel percentage van 0 tot 100.")),
    }


def update(db: Session, clock: Clock, *, organisation_id: int, actor_id: int | None,
           candidate_id: int, **values: Any) -> Candidate:
    """Change a registered candidate's accommodations (audited with the old and new values)."""
    cand = db.get(Candidate, candidate_id)
    if cand is None or cand.organisation_id != organisation_id:
        raise NotFound(detail=f"candidate {candidate_id}")
    new = clean(**values)
    old = of(cand).as_dict()
    changed = {name: [old[name], new[name]] for name in FIELDS if old[name] != new[name]}
    for name, value in new.items():
        setattr(cand, name, value)
    db.flush()
    if changed:
        record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
               action="candidate.accommodations", object_type="candidate", object_id=cand.id,
               changes=changed)
    return cand


def labels(accommodations: Accommodations) -> list[tuple[str, dict[str, Any]]]:
    """The (msgid, params) tags of the accommodations beyond extra time, for the staff views."""
    out: list[tuple[str, dict[str, Any]]] = []
    if accommodations.larger_text:
        out.append((LABELS["larger_text"], {}))
    if accommodations.extra_audio_plays:
        out.append((LABELS["extra_audio_plays"], {"count": accommodations.extra_audio_plays}))
    if accommodations.speaking_prep_percent:
        out.append((LABELS["speaking_prep_percent"],
                    {"percent": accommodations.speaking_prep_percent}))
    return out
