"""Takes as a browser sends them, made in the test with PyAV: WebM/Opus (Chromium's
MediaRecorder) or Ogg/Opus (Firefox), a tone between two silences; and a bank with a
two-speaker dialogue for the studio (a copy of tests/bankfixture.py's bank)."""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
import yaml
from bankfixture import write_bank

RATE = 48_000
DIALOGUE = "L-A1-T001"
DIALOGUE_FILE = "items/listening/a1/L-A1-T001"
SCRIPT = [
    {"speaker": "A", "voice": "nl+f2", "speed": 120, "text": "Goeiedag, wanneer komt de bus?"},
    {"speaker": "B", "voice": "nl+m3", "speed": 120, "text": "De bus komt om tien uur."},
    {"speaker": "A", "voice": "nl+f2", "speed": 120, "text": "Dank u wel, tot straks."},
]


def take(seconds: float = 1.5, *, freq: float = 330.0, lead: float = 0.3, tail: float = 0.3,
         container: str = "webm", amplitude: float = 0.3, codec: str = "libopus") -> bytes:
    """``lead`` s of silence, ``seconds`` of a tone, ``tail`` s of silence, encoded like a
    browser's recording."""
    n = int(RATE * (lead + seconds + tail))
    t = np.arange(n) / RATE
    x = (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    x[: int(RATE * lead)] = 0
    if tail:
        x[-int(RATE * tail):] = 0
    buf = io.BytesIO()
    with av.open(buf, "w", format=container) as out:
        stream = out.add_stream(codec, rate=RATE)
        stream.layout = "mono"
        pts = 0
        size = 960
        for start in range(0, n, size):
            block = x[start:start + size]
            if len(block) < size:
                block = np.pad(block, (0, size - len(block)))
            frame = av.AudioFrame.from_ndarray(block.reshape(1, -1), format="flt", layout="mono")
            frame.sample_rate = RATE
            frame.pts = pts
            pts += size
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buf.getvalue()


def studio_bank(dest: Path) -> Path:
    """The test bank with a three-turn, two-speaker script for L-A1-T001."""
    root = write_bank(dest)
    path = root / f"{DIALOGUE_FILE}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["stimulus"]["script"] = SCRIPT
    data["stimulus"]["transcript"] = " ".join(t["text"] for t in SCRIPT)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return root
