"""Helpers for the item tests: small banks written to tmp_path (imported by the tests)."""

from __future__ import annotations

import copy
import shutil
import struct
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
REAL_BANK = ROOT / "itembank"


def opus_bytes(seconds: float = 5.0) -> bytes:
    """A minimal Ogg/Opus stream (headers + one page whose granule position gives the length)."""
    import io

    from mutagen.ogg import OggPage

    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 312, 48000, 0, 0)
    tags = b"OpusTags" + struct.pack("<I", 4) + b"test" + struct.pack("<I", 0)
    out = io.BytesIO()
    pages = []
    for seq, (packets, pos) in enumerate([([head], 0), ([tags], 0),
                                          ([b"\xf8\xff\xfe"] * 3, 312 + int(seconds * 48000))]):
        page = OggPage()
        page.serial = 1234
        page.sequence = seq
        page.packets = packets
        page.position = pos
        page.first = seq == 0
        page.last = seq == 2
        pages.append(page)
    for page in pages:
        out.write(page.write())
    return out.getvalue()


def png_bytes() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buf, format="PNG")
    return buf.getvalue()


SINGLE = {
    "id": "R-A2-0001", "skill": "reading", "level": "A2", "topic": "housing",
    "task_type": "notice", "status": "operational", "author": "test",
    "stimulus": {"kind": "text", "title": "Afval", "text": "De gele zak gaat op dinsdag buiten."},
    "type": "single_choice", "prompt": "Op welke dag zet u de gele zak buiten?",
    "options": [{"id": "A", "text": "op maandag"}, {"id": "B", "text": "op dinsdag"},
                {"id": "C", "text": "op vrijdag"}],
    "key": "B",
    "enemies": ["R-A1-0001"],   # the other side of MATCH's link (the check refuses one-sided)
}

MULTI = {
    "id": "R-A2-0002", "skill": "reading", "level": "A2", "topic": "shopping",
    "task_type": "advertisement", "status": "operational", "author": "test",
    "type": "multiple_response", "scoring": "per_option", "prompt": "Wat is in promotie? Kies twee.",
    "options": [{"id": "A", "text": "rijst"}, {"id": "B", "text": "melk"},
                {"id": "C", "text": "koffie"}, {"id": "D", "text": "brood"}],
    "key": ["A", "C"],
}

GAPS = {
    "id": "R-B1-0001", "skill": "reading", "level": "B1", "topic": "work",
    "task_type": "form", "status": "operational", "author": "test",
    "type": "text_entry", "prompt": "Vul in.", "text": "Ik werk op {{g1}} en op {{g2}}.",
    "gaps": [{"id": "g1", "accepted": ["maandag", "ma"]}, {"id": "g2", "accepted": ["één uur"]}],
}

ORDER = {
    "id": "R-B1-0002", "skill": "reading", "level": "B1", "topic": "health",
    "task_type": "instructions", "status": "operational", "author": "test",
    "type": "ordering", "scoring": "per_position", "prompt": "Zet in de goede volgorde.",
    "options": [{"id": "A", "text": "Was uw handen."}, {"id": "B", "text": "Neem de pil."},
                {"id": "C", "text": "Drink water."}, {"id": "D", "text": "Ga zitten."}],
    "key": ["A", "B", "C", "D"],
    "parameters": {"model": "gpcm", "a": 0.9, "thresholds": [-0.5, 0.0, 0.4, 1.0],
                   "provenance": {"source": "calibration", "calibration_id": "cal-1", "n": 500,
                                  "se": {"a": 0.05, "thresholds": [0.1, 0.1, 0.1, 0.1]}}},
}

MATCH = {
    "id": "R-A1-0001", "skill": "reading", "level": "A1", "topic": "shopping",
    "task_type": "advertisement", "status": "pretest", "author": "test",
    "type": "matching", "prompt": "Kies de prijs.",
    "sources": [{"id": "s1", "text": "rijst"}, {"id": "s2", "text": "melk"}],
    "targets": [{"id": "t1", "text": "€ 0,95"}, {"id": "t2", "text": "€ 1,99"},
                {"id": "t3", "text": "€ 7,50"}],
    "key": {"s1": "t2", "s2": "t1"},
    "enemies": ["R-A2-0001"],
}

TESTLET = {
    "id": "L-A2-T001", "skill": "listening", "level": "A2", "topic": "transport",
    "task_type": "announcement", "status": "operational", "author": "test",
    "stimulus": {"kind": "audio", "src": "L-A2-T001.ogg", "max_plays": 2,
                 "transcript": "De trein naar Gent vertrekt om 10.15 uur van spoor 4.",
                 "script": [{"speaker": "A", "voice": "nl+f2", "speed": 140,
                             "text": "De trein naar Gent vertrekt om tien uur vijftien van spoor vier."}]},
    "items": [
        {"id": "L-A2-T001-1", "type": "single_choice", "prompt": "Waar gaat de trein naartoe?",
         "options": [{"id": "A", "text": "naar Gent"}, {"id": "B", "text": "naar Brussel"}], "key": "A"},
        {"id": "L-A2-T001-2", "type": "text_entry", "prompt": "Van welk spoor?",
         "text": "Spoor {{g1}}", "gaps": [{"id": "g1", "accepted": ["4", "vier"]}]},
    ],
}

WRITING = {
    "id": "W-A2-0001", "skill": "writing", "level": "A2", "topic": "school",
    "task_type": "message", "status": "operational", "author": "test",
    "type": "extended_text", "prompt": "Schrijf de juf dat uw kind ziek is.",
    "min_words": 20, "max_words": 60, "rubric": "writing-a2",
}

RUBRIC = {
    "id": "writing-a2", "skill": "writing", "level": "A2",
    "criteria": [
        {"id": "task", "name": "Taakuitvoering",
         "levels": [{"score": 0, "descriptor": "Niet uitgevoerd."},
                    {"score": 1, "descriptor": "Deels uitgevoerd."},
                    {"score": 2, "descriptor": "Helemaal uitgevoerd."}]},
        {"id": "grammar", "name": "Grammatica",
         "levels": [{"score": 0, "descriptor": "Veel fouten."},
                    {"score": 1, "descriptor": "Weinig fouten."}]},
    ],
}

MANIFEST = {
    "id": "mini", "name": "Mini-toets", "purpose": "attest",
    "cut_scores": {"reading": {"A1": -2.4, "A2": -1.2, "B1": 0.0, "B2": 1.2, "C1": 2.4},
                   "writing": {"A1": -2.4, "A2": -1.2, "B1": 0.0, "B2": 1.2}},
    "sections": [
        {"skill": "reading", "time_limit_minutes": 20,
         "design": {"estimator": "eap", "selection": {"method": "max_info", "randomesque": 2},
                    "stopping": {"min_items": 3, "max_items": 3, "se": 0.4}},
         "blueprint": {"length": 3, "constraints": [
             {"attribute": "topic", "value": "housing", "min": 1, "max": 2}]}},
        {"skill": "writing", "mode": "fixed", "items": ["W-A2-0001"]},
    ],
}


def write_bank(root: Path, docs: list[dict] | None = None, *, rubrics: list[dict] | None = None,
               manifests: list[dict] | None = None, assets: dict[str, bytes] | None = None) -> Path:
    """Write a bank: ``docs`` go to items/<skill>/<level>/<id>.yaml, assets beside them."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REAL_BANK / "vocabulary.yaml", root / "vocabulary.yaml")
    docs = copy.deepcopy(docs if docs is not None else
                         [SINGLE, MULTI, GAPS, ORDER, MATCH, TESTLET, WRITING])
    for d in docs:
        folder = root / "items" / d["skill"] / d["level"].lower()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{d['id']}.yaml").write_text(yaml.safe_dump(d, allow_unicode=True, sort_keys=False),
                                                encoding="utf-8")
    (root / "rubrics").mkdir(exist_ok=True)
    for r in rubrics if rubrics is not None else [RUBRIC]:
        (root / "rubrics" / f"{r['id']}.yaml").write_text(yaml.safe_dump(r, allow_unicode=True),
                                                          encoding="utf-8")
    (root / "tests").mkdir(exist_ok=True)
    for m in manifests if manifests is not None else [MANIFEST]:
        (root / "tests" / f"{m['id']}.yaml").write_text(yaml.safe_dump(m, allow_unicode=True),
                                                        encoding="utf-8")
    default_assets = {"items/listening/a2/L-A2-T001.ogg": opus_bytes()}
    for rel, data in (assets if assets is not None else default_assets).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root



