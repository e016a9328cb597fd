"""From browser takes to the bank's Ogg/Opus file, with takes generated here with PyAV."""

from __future__ import annotations

import numpy as np
import pytest
from mutagen.oggopus import OggOpus
from studio_support import RATE, take

from toetsbatterij.studio.assembly import (
    EDGE_SECONDS,
    PAUSE_SECONDS,
    TRIM_MARGIN_SECONDS,
    InvalidTake,
    TakeLimits,
    assemble,
    decode,
    probe_take,
)

LIMITS = TakeLimits(max_bytes=200_000, max_seconds=10.0, min_seconds=0.5)


@pytest.mark.parametrize("container, mime", [("webm", "audio/webm;codecs=opus"),
                                             ("ogg", "audio/ogg; codecs=opus"),
                                             ("webm", "audio/webm")])
def test_a_browser_take_is_decoded_and_measured(container, mime):
    seconds = probe_take(take(1.5, container=container), mime, LIMITS)
    assert seconds == pytest.approx(2.1, abs=0.05)  # 0.3 + 1.5 + 0.3


@pytest.mark.parametrize("data, mime, message", [
    (take(1.0), "audio/mpeg", "Alleen opnames als WebM of Ogg met Opus-geluid"),
    (take(1.0), "audio/webm;codecs=vorbis", "Alleen opnames als WebM of Ogg met Opus-geluid"),
    (take(1.0), "audio/ogg", "het bestand is geen Ogg"),
    (b"\x1a\x45\xdf\xa3" + b"\x00" * 400, "audio/webm", "het geluid kan niet gelezen worden"),
    (b"", "audio/webm", "het bestand is geen WebM"),
    (take(9.0, lead=0.5, tail=1.0), "audio/webm", "De opname is te lang"),
    (take(0.1, lead=0.05, tail=0.05), "audio/webm", "De opname is te kort"),
    (take(1.0, amplitude=0.0), "audio/webm", "De opname is stil"),
])
def test_a_bad_take_is_refused_with_a_dutch_reason(data, mime, message):
    with pytest.raises(InvalidTake) as exc:
        probe_take(data, mime, LIMITS)
    assert message in exc.value.message


def test_a_take_above_the_size_limit_is_refused_before_decoding():
    data = take(2.0)
    with pytest.raises(InvalidTake, match="te groot"):
        probe_take(data, "audio/webm", TakeLimits(max_bytes=len(data) - 1))


def test_a_non_opus_stream_is_refused():
    data = take(1.0, container="ogg", codec="flac")
    with pytest.raises(InvalidTake, match="Opus"):
        probe_take(data, "audio/ogg", LIMITS)


def test_decoding_stops_at_the_limit():
    with pytest.raises(InvalidTake, match="te lang"):
        decode(take(4.0), max_seconds=1.0)


def test_turns_are_trimmed_joined_with_the_pauses_of_make_audio_and_normalised(tmp_path):
    dest = tmp_path / "out.ogg"
    turns = [take(1.0, lead=0.5, tail=0.6), take(0.8, freq=220, lead=0.2, tail=0.2, container="ogg")]
    seconds = assemble(turns, dest, title="L-A1-T001", max_seconds=10.0)
    trimmed = 1.0 + 0.8 + 4 * TRIM_MARGIN_SECONDS
    assert seconds == pytest.approx(2 * EDGE_SECONDS + PAUSE_SECONDS + trimmed, abs=0.03)
    info = OggOpus(dest).info
    assert info.channels == 1 and info.length == pytest.approx(seconds, abs=0.05)
    samples = decode(dest.read_bytes(), max_seconds=10.0)
    peak = float(np.max(np.abs(samples)))
    assert 0.8 < peak < 1.0  # -1 dBFS is 0.891; Opus is lossy
    # Silence at the start (the edge) and between the turns (the pause), sound in the turns.
    start = samples[: int(RATE * (EDGE_SECONDS - 0.05))]
    first = EDGE_SECONDS + TRIM_MARGIN_SECONDS
    pause_mid = first + 1.0 + TRIM_MARGIN_SECONDS + PAUSE_SECONDS / 2
    assert np.max(np.abs(start)) < 0.02
    assert np.max(np.abs(samples[int(RATE * (pause_mid - 0.2)):int(RATE * (pause_mid + 0.2))])) < 0.02
    assert np.max(np.abs(samples[int(RATE * (first + 0.3)):int(RATE * (first + 0.5))])) > 0.5
    assert not list(tmp_path.glob(".studio-*"))  # the temporary file was renamed
