"""A simulated candidate: takes an attempt from the instructions to the end through the same
service calls the candidate's browser makes (``delivery.attempts``, ``productions.service``).

Machine-scored items are answered from the item's model at a chosen θ per skill (a full-credit
answer with probability P(full credit | θ) under the form's parameters, else a zero-credit one),
so a result lands where that θ says. Writing tasks get a text (autosaved as a draft, then sent),
speaking tasks a recording (one Ogg/Opus file stored as the chunks of one take). The demo's own
texts and recordings are in this package (``DEMO_TEXTS``, ``recordings/``).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from toetsbatterij.clock import Clock
from toetsbatterij.delivery import attempts
from toetsbatterij.delivery.models import Attempt
from toetsbatterij.productions import service as productions
from toetsbatterij.productions.storage import RecordingStorage

RECORDINGS = Path(__file__).resolve().parent / "recordings"

#: What the demo candidate writes (A2-level Dutch, with the small errors of an A2 writer).
DEMO_TEXTS: dict[str, str] = {
    "W-A2-0001": (
        "Beste buren,\n\nVolgende zaterdag geef ik een feest voor mijn verjaardag. Het feest begint "
        "om acht uur en het duurt tot twee uur 's nachts. Er komen twintig mensen. Misschien is er "
        "wat lawaai, sorry daarvoor. Als er een probleem is, u mag altijd aanbellen op nummer 12 "
        "of bellen naar 0475 12 34 56.\n\nVriendelijke groeten,\nAmina"),
    "W-B1-0001": (
        "Geachte heer, mevrouw,\n\nIk huur een appartement van de woonmaatschappij in de "
        "Carnotstraat. Sinds twee maanden is er schimmel op de muur van de slaapkamer en de muur is "
        "nat. Ik heb een keer gebeld maar niemand is gekomen om te kijken. Mijn kinderen slapen in "
        "deze kamer en mijn zoon hoest veel 's nachts, ik denk dat het door de schimmel is. Ik "
        "open elke dag het raam maar het helpt niet. Kunt u iemand sturen om het probleem te "
        "bekijken en te herstellen? Graag voor het einde van de maand, want het wordt kouder.\n\n"
        "Met vriendelijke groeten,\nAmina El Idrissi"),
}


def demo_recording(item_id: str) -> tuple[str, bytes] | None:
    """(content type, bytes) of the demo's spoken answer to ``item_id``, if there is one."""
    path = RECORDINGS / f"{item_id}.ogg"
    return ("audio/ogg;codecs=opus", path.read_bytes()) if path.exists() else None


@dataclass
class SimulatedCandidate:
    """θ per skill (missing skills: ``default_theta``), a seed, and the productions to give."""

    theta: Mapping[str, float]
    seed: int = 1
    default_theta: float = 0.0
    texts: Mapping[str, str] = field(default_factory=lambda: dict(DEMO_TEXTS))
    recording: Callable[[str], tuple[str, bytes] | None] = demo_recording
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def answer(self, form: Any, item_id: str, *, practice: bool = False) -> Any:
        """A response to a machine-scored item; a practice item is answered right (it has no
        parameters and does not count)."""
        item = form.item(item_id)
        itype = item.itype
        full = practice or self.rng.random() < form.category_probabilities(
            item_id, self.theta.get(item.skill, self.default_theta))[-1]
        pool = itype.full_credit_responses(item.definition) if full else \
            itype.zero_credit_responses(item.definition)
        return pool[0]


def take_test(db: Session, clock: Clock, forms: Any, storage: RecordingStorage, attempt: Attempt,
              candidate: SimulatedCandidate, *, max_screens: int = 200,
              commit: Callable[[], None] | None = None) -> Attempt:
    """Take ``attempt`` to its end (or ``max_screens`` screens); ``commit`` after every screen
    if given (the browser's requests each commit once). Returns the attempt."""
    for _ in range(max_screens):
        scr = attempts.advance(db, clock, forms, attempt)
        if scr.kind == "finished" or scr.kind == "ended":
            break
        if scr.kind == "instructions":
            attempts.start_practice(db, clock, attempt)
        elif scr.kind == "section_intro":
            attempts.start_section(db, clock, forms, attempt, scr.section_number - 1)
        elif scr.kind in ("item", "practice"):
            _answer_screen(db, clock, forms, storage, attempt, scr, candidate)
        else:
            raise RuntimeError(f"the simulated candidate cannot handle the {scr.kind!r} screen")
        if commit is not None:
            commit()
    return attempt


def _answer_screen(db: Session, clock: Clock, forms: Any, storage: RecordingStorage,
                   attempt: Attempt, scr: Any, candidate: SimulatedCandidate) -> None:
    form = forms.for_attempt(db, attempt)
    pres = scr.presentation
    answers: dict[str, Any] = {}
    for item_id in pres.item_ids:
        item = form.item(item_id)
        if item.type == productions.WRITING:
            text = candidate.texts.get(item_id, "Ik weet het niet.")
            productions.save_draft(db, clock, forms, attempt, presentation_id=pres.id,
                                   item_id=item_id, base_version=0, text=text)
            answers[item_id] = text
        elif item.type == productions.SPEAKING:
            sound = candidate.recording(item_id)
            if sound is not None:
                content_type, data = sound
                started = productions.start_recording(
                    db, clock, forms, attempt, presentation_id=pres.id, item_id=item_id,
                    content_type=content_type, new_take=True)
                limit = productions.RecordingLimits().chunk_max_bytes
                for seq, start in enumerate(range(0, len(data), limit)):
                    productions.add_chunk(db, clock, forms, storage, attempt,
                                          presentation_id=pres.id, item_id=item_id,
                                          take=started.take, part=started.part, seq=seq,
                                          content_type=content_type,
                                          data=data[start:start + limit])
                productions.stop_recording(db, clock, forms, attempt, presentation_id=pres.id,
                                           item_id=item_id, take=started.take)
            answers[item_id] = None
        else:
            answers[item_id] = candidate.answer(form, item_id, practice=scr.kind == "practice")
    answers = productions.complete_answers(db, forms, attempt, pres, answers)
    attempts.submit(db, clock, forms, attempt, presentation_id=pres.id, responses=answers)
