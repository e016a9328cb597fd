"""The survey's questions and scale: the same in every agency, so agencies can compare.

A change of a question is a new ``VERSION``: answers are only compared within a version.
"""

from __future__ import annotations

from toetsbatterij.i18n import N_

VERSION = "2026-1"

#: (key, question) in the order they are asked.
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("clarity", N_("Was de uitleg op het scherm duidelijk?")),
    ("treatment", N_("Werd u vriendelijk en met respect behandeld?")),
    ("technical", N_("Was het werken met de computer gemakkelijk?")),
    ("waiting", N_("Was het wachten niet te lang?")),
)
KEYS = tuple(key for key, _ in QUESTIONS)

#: The smiley scale, 1 (very unhappy face) to 5 (very happy face).
SCALE: tuple[tuple[int, str], ...] = (
    (1, N_("Helemaal niet")),
    (2, N_("Niet zo")),
    (3, N_("Een beetje")),
    (4, N_("Ja")),
    (5, N_("Ja, heel erg")),
)
POINTS = tuple(point for point, _ in SCALE)
