"""toetsbatterij.textinput: typed text normalised and refused in one place."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from toetsbatterij.errors import InvalidInput
from toetsbatterij.textinput import clean_text


def clean(value, **kw):
    return clean_text(value, **{"field": "name", "label": "Naam", "max_length": 20, **kw})


def test_normalises_to_nfc_and_strips():
    decomposed = "Jose\u0301 "  # e + combining acute accent
    assert clean(decomposed) == "José" and len(clean(decomposed)) == 4


def test_keeps_the_joiners_persian_names_need():
    assert clean("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645") == (
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645")


@pytest.mark.parametrize("bad", ["a\x00b", "a\x07", "\x1bx", "a\rb", "a\nb", "a\tb", "x\u202ey",
                                 "x\u2066y", "a\ud800b", "x\ufffe", "x\u0085y"])
def test_refuses_control_characters_and_invalid_unicode(bad):
    with pytest.raises(InvalidInput) as exc:
        clean(bad)
    assert exc.value.field == "name"
    assert exc.value.message.startswith("Naam: ") and "ongeldig teken" in exc.value.message


def test_multiline_fields_keep_lines_and_tabs_but_no_nul():
    assert clean("a\r\nb\rc\td", multiline=True) == "a\nb\nc\td"
    with pytest.raises(InvalidInput):
        clean("a\x00b", multiline=True)


def test_refuses_over_length_after_normalisation():
    assert clean("x" * 20) == "x" * 20
    with pytest.raises(InvalidInput) as exc:
        clean("x" * 21)
    assert exc.value.message == "Naam: de tekst is te lang (hoogstens 20 tekens)."
    assert clean("  " + "x" * 20 + "  ") == "x" * 20  # white space around does not count


def test_required_and_none():
    assert clean(None) == ""
    with pytest.raises(InvalidInput):
        clean("   ", required=True)


@given(st.text(max_size=40))
def test_either_clean_or_a_clear_refusal(text):
    try:
        out = clean(text, max_length=30)
    except InvalidInput as exc:
        assert exc.field == "name" and exc.message.startswith("Naam: ")
        return
    assert out == unicodedata.normalize("NFC", out) and out == out.strip()
    assert len(out) <= 30
    out.encode("utf-8")
    assert not any(unicodedata.category(ch) in ("Cc", "Cs") for ch in out)


def test_candidate_answers_are_cleaned_never_refused():
    from toetsbatterij.textinput import clean_answer

    assert clean_answer("Ik woon\r\nin Gent\x00.\u202e\ud800 ") == "Ik woon\nin Gent. "
    assert clean_answer("Jose\u0301") == "José" and clean_answer(None) == ""


@given(st.text())
def test_clean_answer_always_gives_storable_text(text):
    from toetsbatterij.textinput import clean_answer

    out = clean_answer(text)
    out.encode("utf-8")
    assert "\x00" not in out and "\r" not in out
