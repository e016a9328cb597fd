"""Answers posted by the candidate's browser, read by the item types (``ItemType.parse_posted``,
``items.parse_posted_answers``): the web layer knows no item type by name."""

from __future__ import annotations

import pytest
from bankfixture import write_bank
from werkzeug.datastructures import MultiDict

from toetsbatterij.items import REGISTRY, build_forms, load_bank, parse_posted_answers


@pytest.fixture(scope="module")
def forms(tmp_path_factory):
    return build_forms(load_bank(write_bank(tmp_path_factory.mktemp("posted") / "bank")))


@pytest.fixture(scope="module")
def form(forms):
    return forms["lezen-luisteren"]


def _posted(form, unit_id, fields):
    return parse_posted_answers(form.candidate_view(unit_id, 3), MultiDict(fields))


def test_single_choice(form):
    assert _posted(form, "R-A1-0001", {"r.R-A1-0001": "B"}) == {"R-A1-0001": "B"}
    assert _posted(form, "R-A1-0001", {"r.R-A1-0001": ""}) == {"R-A1-0001": None}
    assert _posted(form, "R-A1-0001", {}) == {"R-A1-0001": None}
    assert form.score("R-A1-0001", "B") == 1.0


def test_multiple_response(form):
    raw = _posted(form, "R-A2-0101", [("r.R-A2-0101", "A"), ("r.R-A2-0101", ""),
                                      ("r.R-A2-0101", "C")])
    assert raw == {"R-A2-0101": ["A", "C"]}
    assert form.score("R-A2-0101", raw["R-A2-0101"]) == 1.0
    assert _posted(form, "R-A2-0101", {}) == {"R-A2-0101": []}


def test_text_entry(form):
    raw = _posted(form, "R-A2-0102", {"r.R-A2-0102.g1": "Zaterdagmarker "})
    assert raw == {"R-A2-0102": {"g1": "Zaterdagmarker "}}
    assert form.score("R-A2-0102", raw["R-A2-0102"]) == 1.0
    assert _posted(form, "R-A2-0102", {}) == {"R-A2-0102": {"g1": ""}}


def test_ordering_complete_incomplete_and_repeated(form):
    raw = _posted(form, "R-A2-0103", {"r.R-A2-0103.0": "A", "r.R-A2-0103.1": "B",
                                      "r.R-A2-0103.2": "C"})
    assert raw == {"R-A2-0103": ["A", "B", "C"]}
    assert form.score("R-A2-0103", raw["R-A2-0103"]) == 1.0
    # an option chosen twice, or a place left empty: no order (scores 0, never an error page)
    assert _posted(form, "R-A2-0103", {"r.R-A2-0103.0": "A", "r.R-A2-0103.1": "A",
                                       "r.R-A2-0103.2": "C"}) == {"R-A2-0103": None}
    assert _posted(form, "R-A2-0103", {"r.R-A2-0103.0": "A",
                                       "r.R-A2-0103.2": "C"}) == {"R-A2-0103": None}
    assert form.score("R-A2-0103", None) == 0.0


def test_matching_leaves_open_sources_out(form):
    raw = _posted(form, "R-A2-0104", {"r.R-A2-0104.s1": "t2", "r.R-A2-0104.s2": ""})
    assert raw == {"R-A2-0104": {"s1": "t2"}}
    assert form.score("R-A2-0104", raw["R-A2-0104"]) == 0.0  # all or nothing
    full = _posted(form, "R-A2-0104", {"r.R-A2-0104.s1": "t2", "r.R-A2-0104.s2": "t1"})
    assert form.score("R-A2-0104", full["R-A2-0104"]) == 1.0


def test_testlet_reads_every_member(form):
    raw = _posted(form, "L-A1-T001", {"r.L-A1-T001-1": "B"})
    assert raw == {"L-A1-T001-1": "B", "L-A1-T001-2": None}


def test_extended_text(forms):
    form = forms["lezen-schrijven"]
    assert _posted(form, "W-A2-0001", {"r.W-A2-0001": "Beste juf, ..."}) == {
        "W-A2-0001": "Beste juf, ..."}
    assert _posted(form, "W-A2-0001", {"r.W-A2-0001": ""}) == {"W-A2-0001": None}
    assert form.score("W-A2-0001", "Beste juf, ...") is None  # rated later


def test_spoken_response_and_unknown_types_post_nothing():
    view = {"items": [
        {"id": "S-A2-0001", "type": "spoken_response",
         "view": {"prompt": "Vertel.", "preparation_seconds": 30, "response_seconds": 60}},
        {"id": "X-1", "type": "no_such_type", "view": {}}]}
    posted = MultiDict({"r.S-A2-0001": "rec-1", "r.X-1": "A"})
    assert parse_posted_answers(view, posted) == {"S-A2-0001": None, "X-1": None}


def test_every_registered_type_reads_its_own_fields():
    assert all("parse_posted" in type(t).__dict__ or t.name == "spoken_response"
               for t in REGISTRY.values())
