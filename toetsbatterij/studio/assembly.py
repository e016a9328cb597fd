"""From the browser's takes to one bank audio file, with PyAV (FFmpeg's decoders and libopus).

Chromium's MediaRecorder gives WebM/Opus (Firefox Ogg/Opus); the bank wants mono Ogg/Opus made
the way ``itembank/tools/make_audio.py`` makes its synthetic files: every turn trimmed of its
own silence, 0.7 s between turns, 0.4 s at the start and the end, normalised to −1 dBFS peak,
encoded at 24 kbit/s for speech. :func:`probe_take` decodes a take completely before it is
stored (type, size, duration), so what the studio keeps is known to decode.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from toetsbatterij.errors import InvalidInput
from toetsbatterij.i18n import N_
from toetsbatterij.productions.media import CONTAINERS, base_type, starts_container

RATE = 48_000           # Opus always runs at 48 kHz
PAUSE_SECONDS = 0.7     # between turns, as make_audio.py
EDGE_SECONDS = 0.4      # silence at the start and the end, as make_audio.py
PEAK_DBFS = -1.0        # normalised peak, as make_audio.py (sox norm -1)
BITRATE = 24_000        # as make_audio.py
FRAME = 960             # 20 ms at 48 kHz, the Opus frame the encoder is fed
#: Below this level (relative to full scale) a sample counts as silence when trimming a take.
SILENCE = 10 ** (-45 / 20)
TRIM_MARGIN_SECONDS = 0.08  # kept before the first and after the last sound of a take


class InvalidTake(InvalidInput):
    default_message = N_("Deze opname kan de studio niet gebruiken.")


@dataclass(frozen=True)
class TakeLimits:
    max_bytes: int = 1_500_000
    max_seconds: float = 180.0
    min_seconds: float = 0.5


def take_type(content_type: str) -> str:
    """``audio/webm`` or ``audio/ogg`` (Opus only), or :class:`InvalidTake`."""
    mime, params = base_type(content_type or "")
    if mime not in CONTAINERS or params.get("codecs", "opus") != "opus":
        raise InvalidTake(N_("Alleen opnames als WebM of Ogg met Opus-geluid zijn toegestaan."))
    return mime


def decode(data: bytes, *, max_seconds: float) -> np.ndarray:
    """The take as mono float32 samples at 48 kHz. Stops (and refuses) as soon as more than
    ``max_seconds`` came out, so a small file that decodes to hours is never held in memory."""
    limit = int(max_seconds * RATE) + RATE  # a second of slack for the encoder's padding
    out: list[np.ndarray] = []
    count = 0
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            streams = container.streams.audio
            if len(streams) != 1 or container.streams.video:
                raise InvalidTake(N_("Een opname moet precies één geluidsspoor hebben."))
            stream = streams[0]
            if stream.codec_context.name != "opus":
                raise InvalidTake(N_("Alleen opnames met Opus-geluid zijn toegestaan."))
            resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
            for frame in container.decode(stream):
                for chunk in resampler.resample(frame):
                    samples = chunk.to_ndarray()[0]
                    count += len(samples)
                    if count > limit:
                        raise InvalidTake(N_("De opname is te lang."))
                    out.append(samples)
            for chunk in resampler.resample(None):
                out.append(chunk.to_ndarray()[0])
    except av.FFmpegError:
        raise InvalidTake(N_("Dit is geen geldige opname: het geluid kan niet gelezen "
                             "worden."), detail="decode failed") from None
    if not out:
        raise InvalidTake(N_("De opname bevat geen geluid."))
    return np.concatenate(out).astype(np.float32, copy=False)


def probe_take(data: bytes, content_type: str, limits: TakeLimits) -> float:
    """Check one take before it is stored; return its duration in seconds."""
    if len(data) > limits.max_bytes:
        raise InvalidTake(N_("De opname is te groot (hoogstens %(max)s kB)."),
                          params={"max": limits.max_bytes // 1000})
    mime = take_type(content_type)
    if not data or not starts_container(mime, data):
        raise InvalidTake(N_("Dit is geen geldige opname: het bestand is geen %(kind)s."),
                          params={"kind": "WebM" if mime == "audio/webm" else "Ogg"})
    samples = decode(data, max_seconds=limits.max_seconds)
    seconds = len(samples) / RATE
    if seconds > limits.max_seconds:
        raise InvalidTake(N_("De opname is te lang (hoogstens %(max)s seconden)."),
                          params={"max": int(limits.max_seconds)})
    if seconds < limits.min_seconds:
        raise InvalidTake(N_("De opname is te kort. Neem de beurt opnieuw op."))
    if float(np.max(np.abs(samples))) < SILENCE:
        raise InvalidTake(N_("De opname is stil: controleer de microfoon en neem de beurt "
                             "opnieuw op."))
    return seconds


def trim(samples: np.ndarray) -> np.ndarray:
    """Without the silence before the first and after the last sound (the click of the button,
    the breath before speaking), keeping a short margin."""
    loud = np.flatnonzero(np.abs(samples) >= SILENCE * 10)
    if not len(loud):
        return samples
    margin = int(TRIM_MARGIN_SECONDS * RATE)
    return samples[max(0, loud[0] - margin):min(len(samples), loud[-1] + margin + 1)]


def join_turns(turns: Sequence[np.ndarray]) -> np.ndarray:
    """Edge, turn, pause, turn, ..., edge; normalised to the peak of make_audio.py."""
    edge = np.zeros(int(EDGE_SECONDS * RATE), np.float32)
    pause = np.zeros(int(PAUSE_SECONDS * RATE), np.float32)
    parts: list[np.ndarray] = [edge]
    for n, turn in enumerate(turns):
        if n:
            parts.append(pause)
        parts.append(trim(turn))
    parts.append(edge)
    joined = np.concatenate(parts)
    peak = float(np.max(np.abs(joined)))
    if peak > 0:
        joined = joined * (10 ** (PEAK_DBFS / 20) / peak)
    return joined.astype(np.float32)


def encode_ogg(samples: np.ndarray, path: Path, *, title: str) -> None:
    """Mono Ogg/Opus at 24 kbit/s, tuned for speech."""
    with av.open(str(path), mode="w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=RATE)
        stream.layout = "mono"
        stream.bit_rate = BITRATE
        stream.codec_context.options = {"application": "voip"}
        container.metadata["title"] = title
        pts = 0
        for start in range(0, len(samples), FRAME):
            block = samples[start:start + FRAME]
            if len(block) < FRAME:
                block = np.pad(block, (0, FRAME - len(block)))
            frame = av.AudioFrame.from_ndarray(block.reshape(1, -1), format="flt", layout="mono")
            frame.sample_rate = RATE
            frame.pts = pts
            pts += FRAME
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def assemble(takes: Sequence[bytes], dest: Path, *, title: str, max_seconds: float) -> float:
    """Decode the takes (one per turn, in script order), join them and write ``dest`` (through a
    temporary file beside it, renamed at the end); return the duration in seconds."""
    samples = join_turns([decode(t, max_seconds=max_seconds) for t in takes])
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".studio-", suffix=".ogg")
    os.close(fd)
    try:
        encode_ogg(samples, Path(tmp), title=title)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(samples) / RATE


__all__ = ["InvalidTake", "TakeLimits", "assemble", "decode", "encode_ogg", "join_turns",
           "probe_take", "take_type", "trim"]
