"""A small, stable item bank written to a temporary folder for the delivery and web tests.

It follows itembank/FORMAT.md and covers every interaction type the browser answers, a testlet,
audio, pretest items, practice sets and two test manifests (reading + listening; and one with a
fixed writing section). Keys and parameters use distinctive marker strings so that the leak test
can search for them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
TOPICS = ["municipality", "school", "health", "work", "housing", "transport", "shopping",
          "leisure"]
LEVELS = ["A1", "A2", "B1", "B2"]
READING_TASKS = ["notice", "letter", "email", "message"]


PROVENANCE = {"source": "calibration", "calibration_id": "cal-test", "n": 500,
              "se": {"a": 0.05, "b": 0.04}}


def _with_provenance(data):
    if isinstance(data, dict):
        out = {k: _with_provenance(v) for k, v in data.items()}
        if "parameters" in out and "provenance" not in out["parameters"]:
            out["parameters"] = {**out["parameters"], "provenance": PROVENANCE}
        return out
    if isinstance(data, list):
        return [_with_provenance(v) for v in data]
    return data


def _dump(path: Path, data: dict) -> None:
    data = _with_provenance(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _choice(item_id: str, skill: str, level: str, n: int, status: str = "operational") -> dict:
    return {
        "id": item_id, "skill": skill, "level": level, "topic": TOPICS[n % len(TOPICS)],
        "task_type": READING_TASKS[n % len(READING_TASKS)] if skill == "reading" else "dialogue",
        "status": status, "author": "test",
        "stimulus": {"kind": "text", "text": f"Beste bewoner, bericht nummer {n}."},
        "type": "single_choice", "prompt": f"Vraag {n}: welke dag?",
        "options": [{"id": "A", "text": f"maandag {n}"}, {"id": "B", "text": f"dinsdag {n}"},
                    {"id": "C", "text": f"vrijdag {n}"}],
        "key": "B",
        "parameters": {"model": "2pl", "a": 1.137 + n / 1000, "b": -1.8 + 1.2 * LEVELS.index(level)
                       + (n % 5) * 0.0713},
    }


def write_bank(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "itembank" / "vocabulary.yaml", dest / "vocabulary.yaml")
    ogg = ROOT / "itembank" / "practice" / "PL-A1-0001.ogg"
    n = 0
    for level in LEVELS:
        for _ in range(6):
            n += 1
            item_id = f"R-{level}-{n:04d}"
            _dump(dest / "items" / "reading" / level.lower() / f"{item_id}.yaml",
                  _choice(item_id, "reading", level, n))
    # one of each other interaction type (reading A2)
    extra = {
        "R-A2-0101": {"type": "multiple_response", "prompt": "Welke twee zijn juist?",
                      "options": [{"id": "A", "text": "de bakker"}, {"id": "B", "text": "de slager"},
                                  {"id": "C", "text": "de bibliotheek"}],
                      "key": ["A", "C"], "scoring": "all_or_nothing"},
        "R-A2-0102": {"type": "text_entry", "prompt": "Vul in.",
                      "text": "De winkel is open op {{g1}}.",
                      "gaps": [{"id": "g1", "accepted": ["zaterdagmarker"]}]},
        "R-A2-0103": {"type": "ordering", "prompt": "Zet in de goede volgorde.",
                      "options": [{"id": "A", "text": "eerst bellen"}, {"id": "B", "text": "dan gaan"},
                                  {"id": "C", "text": "tot slot betalen"}],
                      "key": ["A", "B", "C"], "scoring": "all_or_nothing"},
        "R-A2-0104": {"type": "matching", "prompt": "Wat hoort bij elkaar?",
                      "sources": [{"id": "s1", "text": "huisarts"}, {"id": "s2", "text": "apotheek"}],
                      "targets": [{"id": "t1", "text": "medicijnen"}, {"id": "t2", "text": "consultatie"},
                                  {"id": "t3", "text": "brood"}],
                      "key": {"s1": "t2", "s2": "t1"}, "scoring": "all_or_nothing"},
    }
    for i, (item_id, body) in enumerate(extra.items()):
        data = {"id": item_id, "skill": "reading", "level": "A2", "topic": TOPICS[i],
                "task_type": "notice", "status": "operational", "author": "test",
                "stimulus": {"kind": "text", "text": "Een korte tekst."}, **body,
                "parameters": {"model": "2pl", "a": 0.9137, "b": -0.5713 + i / 100}}
        _dump(dest / "items" / "reading" / "a2" / f"{item_id}.yaml", data)
    testlet = {
        "id": "R-B1-T001", "skill": "reading", "level": "B1", "topic": "work",
        "task_type": "letter", "status": "operational", "author": "test",
        "stimulus": {"kind": "text", "title": "Vacature", "text": "Wij zoeken een chauffeur."},
        "items": [
            {"id": "R-B1-T001-1", "type": "single_choice", "prompt": "Wie zoeken ze?",
             "options": [{"id": "A", "text": "een kok"}, {"id": "B", "text": "een chauffeur"}],
             "key": "B", "parameters": {"model": "2pl", "a": 1.0313, "b": 0.4137}},
            {"id": "R-B1-T001-2", "type": "single_choice", "prompt": "Is het werk voltijds?",
             "options": [{"id": "A", "text": "ja"}, {"id": "B", "text": "nee"}],
             "key": "A", "parameters": {"model": "2pl", "a": 1.0419, "b": 0.5173}},
        ],
    }
    _dump(dest / "items" / "reading" / "b1" / "R-B1-T001.yaml", testlet)
    import segno

    image_dir = dest / "items" / "reading" / "a1"
    image_dir.mkdir(parents=True, exist_ok=True)
    segno.make("Bibliotheek open op zaterdag").save(str(image_dir / "R-A1-0301.png"), scale=4)
    _dump(image_dir / "R-A1-0301.yaml", {
        **_choice("R-A1-0301", "reading", "A1", 301),
        "stimulus": {"kind": "image", "src": "R-A1-0301.png",
                     "alt": "Een affiche van de bibliotheek met de openingsuren."}})
    _dump(dest / "items" / "reading" / "a2" / "R-A2-0201.yaml",
          _choice("R-A2-0201", "reading", "A2", 201, status="pretest"))
    for i in range(1, 9):
        level = LEVELS[(i - 1) // 2]
        item_id = f"L-{level}-T{i:03d}"
        folder = dest / "items" / "listening" / level.lower()
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(ogg, folder / f"{item_id}.ogg")
        _dump(folder / f"{item_id}.yaml", {
            "id": item_id, "skill": "listening", "level": level, "topic": TOPICS[i % 8],
            "task_type": "dialogue", "status": "operational", "author": "test",
            "stimulus": {"kind": "audio", "src": f"{item_id}.ogg", "max_plays": 2,
                         "transcript": "TRANSCRIPTMARKER de bus komt om tien uur.",
                         "script": [{"speaker": "A", "voice": "nl+f2", "speed": 120,
                                     "text": "SCRIPTMARKER de bus komt om tien uur."}]},
            "items": [
                {"id": f"{item_id}-1", "type": "single_choice", "prompt": "Hoe laat?",
                 "options": [{"id": "A", "text": "om twee uur"}, {"id": "B", "text": "om tien uur"}],
                 "key": "B",
                 "parameters": {"model": "2pl", "a": 1.2 + i / 1000,
                                "b": -1.8 + 0.45 * i}},
                {"id": f"{item_id}-2", "type": "single_choice", "prompt": "Waar?",
                 "options": [{"id": "A", "text": "aan het station"}, {"id": "B", "text": "thuis"}],
                 "key": "A",
                 "parameters": {"model": "2pl", "a": 1.1 + i / 1000,
                                "b": -1.7 + 0.45 * i}},
            ],
        })
    rubric_src = ROOT / "itembank" / "rubrics" / "writing-a2.yaml"
    (dest / "rubrics").mkdir(parents=True, exist_ok=True)
    shutil.copy(rubric_src, dest / "rubrics" / "writing-a2.yaml")
    _dump(dest / "items" / "writing" / "a2" / "W-A2-0001.yaml", {
        "id": "W-A2-0001", "skill": "writing", "level": "A2", "topic": "school",
        "task_type": "message", "status": "operational", "author": "test",
        "type": "extended_text", "prompt": "Schrijf een bericht aan de juf.",
        "min_words": 20, "max_words": 60, "rubric": "writing-a2"})
    shutil.copy(ROOT / "itembank" / "rubrics" / "speaking-a2.yaml",
                dest / "rubrics" / "speaking-a2.yaml")
    _dump(dest / "items" / "speaking" / "a2" / "S-A2-0001.yaml", {
        "id": "S-A2-0001", "skill": "speaking", "level": "A2", "topic": "health",
        "task_type": "describe", "status": "operational", "author": "test",
        "type": "spoken_response", "prompt": "Vertel over uw laatste bezoek aan de dokter.",
        "preparation_seconds": 5, "response_seconds": 20, "retakes": 1,
        "rubric": "speaking-a2"})
    practice = dest / "practice"
    practice.mkdir(parents=True, exist_ok=True)
    _dump(practice / "reading.yaml", {
        "skill": "reading", "title": "Oefenen – Lezen", "instructions": "Dit is een oefening.",
        "items": [{"id": "PR-A1-0001", "skill": "reading", "level": "A1", "type": "single_choice",
                   "prompt": "Oefening: welke kleur heeft de bus?",
                   "options": [{"id": "A", "text": "rood"}, {"id": "B", "text": "geel"}],
                   "key": "A", "feedback": "Het goede antwoord is \"rood\"."}]})
    shutil.copy(ogg, practice / "PL-A1-0001.ogg")
    _dump(practice / "listening.yaml", {
        "skill": "listening", "title": "Oefenen – Luisteren", "instructions": "Luister.",
        "items": [{"id": "PL-A1-0001", "skill": "listening", "level": "A1",
                   "stimulus": {"kind": "audio", "src": "PL-A1-0001.ogg", "max_plays": 2,
                                "transcript": "De bus komt om 10.00 uur.",
                                "script": [{"speaker": "A", "voice": "nl+f2", "speed": 120,
                                            "text": "De bus komt om tien uur."}]},
                   "type": "single_choice", "prompt": "Hoe laat komt de bus?",
                   "options": [{"id": "A", "text": "om twee uur"}, {"id": "B", "text": "om tien uur"}],
                   "key": "B", "feedback": "Om tien uur."}]})
    cuts = {"A1": -2.4, "A2": -1.2, "B1": 0.0, "B2": 1.2, "C1": 2.4}
    design = {"estimator": "eap", "selection": {"method": "max_info", "randomesque": 2},
              "exposure": {"method": "none"}, "stopping": {"min_items": 4, "max_items": 6}}
    _dump(dest / "tests" / "lezen-luisteren.yaml", {
        "id": "lezen-luisteren", "name": "Lezen en luisteren (test)", "purpose": "attest",
        "target_level": "A2", "cut_scores": {"reading": cuts, "listening": cuts},
        "sections": [
            {"skill": "reading", "time_limit_minutes": 20, "design": design,
             "blueprint": {"length": 6}, "pretest": {"positions": [2]}},
            {"skill": "listening", "time_limit_minutes": 20,
             "design": {**design, "stopping": {"min_items": 4, "max_items": 6}},
             "blueprint": {"length": 6}},
        ]})
    _dump(dest / "tests" / "lezen-schrijven.yaml", {
        "id": "lezen-schrijven", "name": "Lezen en schrijven (test)", "purpose": "attest",
        "target_level": "A2", "cut_scores": {"reading": cuts, "writing": cuts},
        "sections": [
            {"skill": "reading", "time_limit_minutes": 20, "design": design,
             "blueprint": {"length": 6}},
            {"skill": "writing", "mode": "fixed", "time_limit_minutes": 30,
             "items": ["W-A2-0001"]},
        ]})
    _dump(dest / "tests" / "schrijven-spreken.yaml", {
        "id": "schrijven-spreken", "name": "Schrijven en spreken (test)", "purpose": "attest",
        "target_level": "A2", "cut_scores": {"writing": cuts, "speaking": cuts},
        "sections": [
            {"skill": "writing", "mode": "fixed", "time_limit_minutes": 30,
             "items": ["W-A2-0001"]},
            {"skill": "speaking", "mode": "fixed", "time_limit_minutes": 10,
             "items": ["S-A2-0001"]},
        ]})
    return dest


#: Strings that occur only in keys, accepted answers, transcripts, scripts or parameters.
SECRET_MARKERS = ("zaterdagmarker", "TRANSCRIPTMARKER", "SCRIPTMARKER",
                  "0.9137", "0.5713", "1.0313", "0.4137", "writing-a2", "Taakuitvoering")
