"""Hypothesis fuzzing: random and mutated item files never crash the checker; each yields a
valid item or a clear validation error (file, field, message). Random responses score within
range or raise InvalidResponse. Random or mutated QTI packages are imported or refused.

Derandomized (fixed seed) so that CI runs are reproducible."""

from __future__ import annotations

import copy
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toetsbatterij.items import InvalidResponse, Problem, normalise, score
from toetsbatterij.items.check import check_bank
from toetsbatterij.items.parse import parse_document
from toetsbatterij.items.qti import QtiImportError, build_package, import_package
from toetsbatterij.items.vocabulary import DEFAULT_VOCABULARY_PATH, Vocabulary

from .itemfixtures import GAPS, MATCH, MULTI, ORDER, SINGLE, TESTLET, WRITING, write_bank

VOCAB = Vocabulary.load(DEFAULT_VOCABULARY_PATH)
DOCS = [SINGLE, MULTI, GAPS, ORDER, MATCH, TESTLET, WRITING]
FUZZ = settings(derandomize=True, deadline=None, max_examples=150,
                suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
                    st.sampled_from(["A", "B", "g1", "s1", "t1", "reading", "A2", "operational",
                                     "single_choice", "2pl", "{{g1}}", "R-A2-0001"]))
data = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=5), st.dictionaries(st.one_of(st.text(max_size=12), st.integers()),
                                                    children, max_size=6)), max_leaves=25)


def assert_valid_or_clear(doc):
    items, _, problems = parse_document(doc, "fuzz.yaml", VOCAB, rubric_max={"writing-a2": 3})
    assert bool(items) != bool(problems)
    for p in problems:
        assert isinstance(p, Problem) and p.file == "fuzz.yaml"
        assert isinstance(p.field, str) and isinstance(p.message, str) and p.message
        assert str(p).startswith("fuzz.yaml: ")
    for item in items:
        assert item.max_score >= 1
        for resp in item.itype.full_credit_responses(item.definition):
            assert score(item, resp) == item.max_score


@FUZZ
@given(data)
def test_random_documents_never_crash(doc):
    assert_valid_or_clear(doc)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


@st.composite
def mutated(draw):
    doc = copy.deepcopy(draw(st.sampled_from(DOCS)))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        path = draw(st.sampled_from(paths))
        parent = doc
        for k in path[:-1]:
            parent = parent[k]
        action = draw(st.sampled_from(["delete", "replace", "duplicate", "add"]))
        key = path[-1]
        if action == "delete":
            del parent[key]
        elif action == "replace":
            parent[key] = draw(data)
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
        else:
            if isinstance(parent, dict):
                parent[draw(st.text(min_size=1, max_size=8))] = draw(scalars)
    return doc


@FUZZ
@given(mutated())
def test_mutated_item_files_yield_item_or_clear_error(doc):
    assert_valid_or_clear(doc)


@settings(derandomize=True, deadline=None, max_examples=25,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8")))
def test_raw_file_bytes_never_crash_the_bank_check(raw):
    with tempfile.TemporaryDirectory() as tmp:
        root = write_bank(Path(tmp) / "bank", [SINGLE])
        (root / "items/reading/a2/R-A2-0009.yaml").write_bytes(raw)
        report = check_bank(root)
        assert "R-A2-0001" in report.bank.items
        assert any(p.file == "items/reading/a2/R-A2-0009.yaml" for p in report.problems)


@pytest.fixture(scope="module")
def parsed_items():
    out = []
    for doc in DOCS:
        items, _, probs = parse_document(copy.deepcopy(doc), "x.yaml", VOCAB, rubric_max={"writing-a2": 3})
        assert not probs
        out += [i for i in items if not i.rated]
    return out


responses = st.one_of(data, st.lists(st.sampled_from(["A", "B", "C", "D", "s1", "t1", "t2", "Q"]), max_size=6),
                      st.dictionaries(st.sampled_from(["g1", "g2", "s1", "s2", "zz"]),
                                      st.one_of(st.none(), st.text(max_size=20), st.sampled_from(["t1", "t2", "t3"]), st.integers()),
                                      max_size=4))


@FUZZ
@given(st.data())
def test_random_responses_score_in_range_or_are_refused(parsed_items, drawn):
    item = drawn.draw(st.sampled_from(parsed_items))
    raw = drawn.draw(responses)
    try:
        got = score(item, raw)
    except InvalidResponse as exc:
        assert item.id in str(exc)
    else:
        assert 0 <= got <= item.max_score


@FUZZ
@given(st.text(max_size=40))
def test_normalise_is_idempotent(text):
    once = normalise(text)
    assert normalise(once) == once


@pytest.fixture(scope="module")
def package_files():
    with tempfile.TemporaryDirectory() as tmp:
        from toetsbatterij.items import load_bank

        return build_package(load_bank(write_bank(Path(tmp) / "bank")))


@settings(derandomize=True, deadline=None, max_examples=60,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_qti_packages_are_imported_or_refused(package_files, drawn):
    import zipfile

    files = dict(package_files)
    name = drawn.draw(st.sampled_from(sorted(n for n in files if n.endswith(".xml"))))
    raw = files[name]
    start = drawn.draw(st.integers(0, len(raw)))
    cut = drawn.draw(st.integers(0, 40))
    files[name] = raw[:start] + drawn.draw(st.binary(max_size=20)) + raw[start + cut:]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n, d in files.items():
            zf.writestr(n, d)
    try:
        result = import_package(buf.getvalue())
    except QtiImportError as exc:
        assert exc.problems and all(p.file for p in exc.problems)
    else:
        assert all(isinstance(p, Problem) for p in result.problems)


@settings(derandomize=True, deadline=None, max_examples=40)
@given(st.binary(max_size=200))
def test_random_bytes_as_package_are_refused(raw):
    with pytest.raises(QtiImportError):
        import_package(raw)


@st.composite
def mutated_manifest(draw):
    from .itemfixtures import MANIFEST

    doc = copy.deepcopy(MANIFEST)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        path = draw(st.sampled_from(paths))
        parent = doc
        for k in path[:-1]:
            parent = parent[k]
        if draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(data)
    return doc


@settings(derandomize=True, deadline=None, max_examples=80,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(data, mutated_manifest()))
def test_random_manifests_never_crash(doc):
    from toetsbatterij.items.manifest import parse_manifest

    manifest, problems = parse_manifest(doc, "m.yaml", VOCAB, items={})
    assert (manifest is None) == bool(problems)
    assert all(str(p).startswith("m.yaml: ") for p in problems)
