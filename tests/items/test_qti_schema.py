"""The whole QTI export follows the QTI 3.0 schema rules (``qti_schema``: the rules of the
1EdTech XSDs our export relies on, in our own words), and each rule can fail."""

from __future__ import annotations

import defusedxml.ElementTree as DET
import pytest

from toetsbatterij.items import load_bank
from toetsbatterij.items.qti import build_package

from .qti_schema import package_problems


@pytest.fixture(scope="module")
def real_files(real_bank):
    return build_package(real_bank)


def test_the_whole_export_follows_the_schema_rules(real_files, real_bank):
    assert package_problems(real_files) == []
    xml = [n for n in real_files if n.endswith(".xml")]
    for name in xml:  # every XML document parses safely (no DTD, no entities)
        DET.fromstring(real_files[name], forbid_dtd=True, forbid_entities=True, forbid_external=True)
    items = [n for n in xml if n.startswith("items/")]
    stimuli = [n for n in xml if n.startswith("stimuli/")]
    assert len(items) == len(real_bank.items)
    assert sum(b'<audio ' in real_files[n] for n in stimuli) >= 100  # the listening stimuli


def test_the_fixture_bank_export_follows_the_schema_rules(mini_bank_path):
    assert package_problems(build_package(load_bank(mini_bank_path))) == []


def _replace(files, name, old: bytes, new: bytes, count=1):
    assert old in files[name], (name, old)
    return {**files, name: files[name].replace(old, new, count)}


def _first(files, prefix, needle: bytes):
    return next(n for n in sorted(files) if n.startswith(prefix) and needle in files[n])


@pytest.mark.parametrize("case, rule", [
    ("html controls", "B5"),
    ("data attribute", "B7"),
    ("own element in manifest metadata", "A2"),
    ("own element in resource metadata", "A4"),
    ("resource type", "A3"),
    ("duplicate identifier", "A3"),
    ("dangling dependency", "A5"),
    ("schemaversion", "A2"),
    ("interaction type", "A6"),
    ("item children order", "B1"),
    ("pattern without pattern", "B8"),
    ("text entry outside p", "B6"),
    ("boolean shuffle", "B5"),
    ("lom language", "A7"),
])
def test_each_rule_can_fail(real_files, case, rule):
    f = real_files
    m = "imsmanifest.xml"
    if case == "html controls":
        s = _first(f, "stimuli/", b'controls="true"')
        broken = _replace(f, s, b'controls="true"', b'controls="controls"')
    elif case == "data attribute":
        s = _first(f, "stimuli/", b'controls="true"')
        broken = _replace(f, s, b'controls="true"', b'controls="true" data-max-plays="2"')
    elif case == "own element in manifest metadata":
        broken = _replace(f, m, b"<schemaversion>3.0.0</schemaversion>",
                          b'<schemaversion>3.0.0</schemaversion><tb:bank xmlns:tb="urn:toetsbatterij:qti-metadata:1" version="x"/>')
    elif case == "own element in resource metadata":
        broken = _replace(f, m, b"<qmd:qtiMetadata>",
                          b'<tb:item xmlns:tb="urn:toetsbatterij:qti-metadata:1" id="x"/><qmd:qtiMetadata>')
    elif case == "resource type":
        broken = _replace(f, m, b'type="resourceextmetadata/xml"', b'type="toetsbatterij/metadata"')
    elif case == "duplicate identifier":
        broken = _replace(f, m, b'identifier="RES-META-ITEMS-', b'identifier="RES-ASSET-L-A1-0001.ogg" x="', 1)
    elif case == "dangling dependency":
        broken = _replace(f, m, b'<dependency identifierref="RES-', b'<dependency identifierref="NOPE-')
    elif case == "schemaversion":
        broken = _replace(f, m, b"<schemaversion>3.0.0</schemaversion>", b"<schemaversion>3.0</schemaversion>")
    elif case == "interaction type":
        broken = _replace(f, m, b"choiceInteraction</qmd:interactionType>", b"choice</qmd:interactionType>")
    elif case == "item children order":
        i = _first(f, "items/", b"<qti-outcome-declaration")
        doc = f[i]
        start = doc.index(b"<qti-outcome-declaration")
        end = doc.index(b"</qti-outcome-declaration>") + len(b"</qti-outcome-declaration>")
        out = doc[start:end]
        doc = doc[:start] + doc[end:]
        body_end = doc.index(b"</qti-item-body>") + len(b"</qti-item-body>")
        broken = {**f, i: doc[:body_end] + out + doc[body_end:]}
    elif case == "pattern without pattern":
        i = _first(f, "items/", b"<qti-pattern-match pattern=")
        broken = _replace(f, i, b"<qti-pattern-match pattern=", b"<qti-pattern-match data-pattern=")
    elif case == "text entry outside p":
        i = _first(f, "items/", b"<qti-text-entry-interaction")
        doc = f[i]
        start = doc.index(b"<qti-text-entry-interaction")
        end = doc.index(b"/>", start) + 2
        entry = doc[start:end]
        doc = doc[:start] + doc[end:]
        broken = {**f, i: doc.replace(b'<div class="tb-gap-text">', b'<div class="tb-gap-text">' + entry, 1)}
    elif case == "boolean shuffle":
        i = _first(f, "items/", b'shuffle="true"')
        broken = _replace(f, i, b'shuffle="true"', b'shuffle="yes"')
    elif case == "lom language":
        broken = _replace(f, m, b'language="nl-BE"', b'language="nl_BE"')
    problems = package_problems(broken)
    assert problems, case
    assert any(f": {rule}: " in p for p in problems), problems


def test_the_rules_refuse_what_the_export_wrote_before_issue_15(real_files):
    """The review's findings: HTML controls and our own elements in <metadata>."""
    s = _first(real_files, "stimuli/", b'controls="true"')
    old = _replace(real_files, s, b'controls="true"', b'controls="controls" data-max-plays="2"')
    old = _replace(old, "imsmanifest.xml", b"<schemaversion>3.0.0</schemaversion>",
                   b'<schemaversion>3.0.0</schemaversion><tb:bank xmlns:tb="urn:toetsbatterij:qti-metadata:1" version="x"/>')
    problems = package_problems(old)
    assert {p.split(": ")[1] for p in problems} == {"A2", "B5", "B7"}, problems
