"""QTI 3.0 exchange: lossless round trip, structural rules from the spec, hostile packages.

No QTI 3.0 XSD could be obtained from a package registry (PyPI: citolab-qti-convert,
incept-qti-sdk, citolab-qti-json-schema-models; npm: @citolab/qti-convert,
@citolab/qti-components ship none), so exported XML is checked against these rules, derived
from the 1EdTech QTI 3.0 ASI binding and the QTI 3.0 content-packaging profile:

R1  every item is a ``qti-assessment-item`` in the ``imsqtiasi_v3p0`` namespace with
    ``identifier``, ``title`` and ``time-dependent``; every stimulus a
    ``qti-assessment-stimulus`` with ``identifier``, ``title`` and a ``qti-stimulus-body``;
R2  the children of an item come in the order response declarations, outcome declarations,
    stimulus refs, item body, response processing;
R3  identifiers (item, choice, response) match the QTI identifier pattern (an NCName: starts
    with a letter or underscore; letters, digits, ``_ - .``);
R4  every interaction's ``response-identifier`` is declared; ``cardinality`` is one of
    single/multiple/ordered/record and ``base-type`` one of the QTI base types;
R5  correct responses and map keys name existing choices (identifier) or (source, target)
    pairs of the two match sets (directedPair, source first);
R6  a choice or order interaction has choices; a match interaction exactly two match sets;
    ``qti-prompt`` is the first child of an interaction when present;
R7  a text-entry interaction (inline) is inside a block (``p``), never a direct child of
    ``qti-item-body``; ``img``/``audio`` (inline) likewise;
R8  an item with a response processing uses a standard template URI or has rules; SCORE is
    declared as a single float outcome;
R9  the manifest is a ``manifest`` in the ``imscp_v1p1`` QTI 3 namespace; every resource has an
    ``identifier``, a QTI 3 resource ``type`` and an ``href`` present in the zip; every ``file``
    exists and every ``dependency`` resolves to a resource;
R10 a ``qti-assessment-stimulus-ref`` points (``href``, relative to the item) to a stimulus
    whose ``identifier`` equals the ref's ``identifier``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import posixpath
import re
import stat
import zipfile

import defusedxml.ElementTree as DET
import pytest
import yaml

from toetsbatterij.items import load_bank
from toetsbatterij.items.parse import parse_document
from toetsbatterij.items.qti import (
    Limits,
    QtiImportError,
    build_package,
    export_package,
    import_package,
    write_documents,
)
from toetsbatterij.items.qti.common import CP_NS, QTI_NS

NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
BASE_TYPES = {"boolean", "directedPair", "duration", "file", "float", "identifier", "integer",
              "pair", "point", "string", "uri", "intOrIdentifier"}
ITEM_ORDER = ["qti-response-declaration", "qti-outcome-declaration", "qti-assessment-stimulus-ref",
              "qti-item-body", "qti-response-processing"]


def local(tag):
    return tag.rsplit("}", 1)[-1]


def roundtrip_equal(bank, result):
    """Every exported item comes back identical (all fields, content hash included)."""
    criteria = {k: {c.id: c.max_score for c in r.criteria} for k, r in bank.rubrics.items()}
    seen = set()
    for doc in result.documents:
        digests = {k: hashlib.sha256(v).hexdigest() for k, v in result.assets.get(doc["id"], {}).items()}
        items, _, probs = parse_document(doc, "x.yaml", bank.vocabulary, asset_digests=digests,
                                         rubric_criteria=criteria)
        assert not probs, probs
        for it in items:
            orig = bank.items[it.id]
            assert dataclasses.replace(it, source="") == dataclasses.replace(orig, source=""), it.id
            assert it.content_hash == orig.content_hash
            seen.add(it.id)
    return seen


def test_roundtrip_fixture_bank_every_type(mini_bank_path):
    bank = load_bank(mini_bank_path)
    buf = io.BytesIO()
    assert export_package(bank, buf) == len(bank.items)
    result = import_package(buf.getvalue())
    assert not result.problems
    assert roundtrip_equal(bank, result) == set(bank.items)
    assert {i.type for i in bank.items.values()} >= {"single_choice", "multiple_response", "text_entry",
                                                      "ordering", "matching", "extended_text"}
    assert result.rubrics["writing-a2"] == bank.rubrics["writing-a2"].as_dict()


def test_roundtrip_whole_real_bank_and_write_documents(real_bank, tmp_path):
    buf = io.BytesIO()
    n = export_package(real_bank, buf)
    assert n == len(real_bank.items)
    result = import_package(buf.getvalue())
    assert not result.problems
    assert roundtrip_equal(real_bank, result) == set(real_bank.items)
    assert result.bank_version == real_bank.version
    assert {"vocabulary.yaml", *(t.source for t in real_bank.tests.values())} <= set(result.bank_files)
    assert any(k.startswith("practice/") for k in result.bank_files)
    out = tmp_path / "imported"
    write_documents(result, out)
    again = load_bank(out)
    assert set(again.items) == set(real_bank.items)
    assert {k: v.content_hash for k, v in again.items.items()} == {
        k: v.content_hash for k, v in real_bank.items.items()}
    # The bank version (items, rubrics, test manifests) is the exported one, and so is every
    # test form built from it (practice sets and exposure parameters travel too).
    assert again.version == real_bank.version
    from toetsbatterij.items.form import build_forms

    assert {k: f.version for k, f in build_forms(again).items()} == {
        k: f.version for k, f in build_forms(real_bank).items()}
    # Rubric notes (the raters' guidance, which the loaded model does not keep) come back.
    for rid, rubric in real_bank.rubrics.items():
        original = yaml.safe_load((real_bank.root / rubric.source).read_text(encoding="utf-8"))
        imported = yaml.safe_load((out / "rubrics" / f"{rid}.yaml").read_text(encoding="utf-8"))
        assert original.get("notes") and imported["notes"] == original["notes"], rid
        assert imported["criteria"] == original["criteria"], rid


def test_rubric_notes_are_shown_to_scorers_in_the_rubric_block(real_bank):
    files = build_package(real_bank)
    item = next(i for i in real_bank.items.values() if i.type == "extended_text")
    notes = yaml.safe_load((real_bank.root / real_bank.rubrics[item.rubric].source).read_text(
        encoding="utf-8"))["notes"]
    root = DET.fromstring(files[f"items/{item.id}.xml"])
    block = next(e for e in root.iter() if local(e.tag) == "qti-rubric-block")
    assert block.get("view") == "scorer"
    div = next(e for e in block.iter() if e.get("class") == "tb-rubric-notes")
    assert "".join(div.itertext()).replace("\n", "") == notes.replace("\n\n", "").replace("\n", "")


def test_metadata_travels_in_standard_places(real_bank):
    """No element of ours in <metadata>; qtiMetadata and LOM per item; our record in an
    extension-metadata resource the item depends on; the bank version in the manifest LOM."""
    files = build_package(real_bank)
    manifest = DET.fromstring(files["imsmanifest.xml"])
    tb_ns = "{urn:toetsbatterij:qti-metadata:1}"
    for md in manifest.iter(f"{{{CP_NS}}}metadata"):
        assert not any(e.tag.startswith(tb_ns) for e in md.iter())
    resources = {r.get("identifier"): r for r in manifest.iter(f"{{{CP_NS}}}resource")}
    item = real_bank.items["L-A1-0001"]
    res = resources["RES-L-A1-0001"]
    lom_ns = "{http://ltsc.ieee.org/xsd/LOM}"
    entry = res.find(f"*/{lom_ns}lom/{lom_ns}general/{lom_ns}identifier/{lom_ns}entry")
    entity = res.find(f"*/{lom_ns}lom/{lom_ns}lifeCycle/{lom_ns}contribute/{lom_ns}entity")
    assert entry.text == item.id and "FN:" + item.author in entity.text
    levels = [t.text for t in res.iter(f"{lom_ns}id")]
    assert item.level in levels and item.skill in levels and item.topic in levels
    deps = [resources[d.get("identifierref")] for d in res.iter(f"{{{CP_NS}}}dependency")]
    ext = [d for d in deps if d.get("type") == "resourceextmetadata/xml"]
    assert len(ext) == 1
    record = DET.fromstring(files[ext[0].get("href")])
    assert record[0].tag == f"{tb_ns}item" and record[0].get("status") == item.status
    stim = real_bank.items["L-A1-0001"].stimulus
    srec = DET.fromstring(files["metadata/stimuli/L-A1-0001-stimulus.xml"])
    assert srec[0].get("max-plays") == str(stim.max_plays)
    assert real_bank.version in files["imsmanifest.xml"].decode()


def test_a_package_without_our_records_still_has_skill_level_status_author_from_lom(mini_bank_path):
    bank = load_bank(mini_bank_path)
    files = build_package(bank, ids=["R-A2-0001"])
    stripped = {k: v for k, v in files.items() if not k.startswith("metadata/")}
    manifest = stripped["imsmanifest.xml"].decode()
    manifest = re.sub(r'<resource identifier="RES-META-[^"]*"[^>]*>.*?</resource>', "", manifest, flags=re.S)
    manifest = re.sub(r'<dependency identifierref="RES-META-[^"]*" />', "", manifest)
    stripped["imsmanifest.xml"] = manifest.encode()
    result = import_package(_zip(stripped))
    doc = result.documents[0]
    item = bank.items["R-A2-0001"]
    assert {k: doc[k] for k in ("skill", "level", "topic", "task_type", "status", "author")} == {
        "skill": item.skill, "level": item.level, "topic": item.topic, "task_type": item.task_type,
        "status": item.status, "author": item.author}


def test_bank_files_other_than_vocabulary_and_tests_are_refused(good_files):
    manifest = good_files["imsmanifest.xml"].replace(
        b'<file href="bank/vocabulary.yaml" />', b'<file href="bank/vocabulary.yaml" /><file href="bank/evil.py" />')
    _refused(_zip({**good_files, "imsmanifest.xml": manifest, "bank/evil.py": b"x"}), "refused bank file")


def test_export_selection_takes_whole_testlets(mini_bank_path):
    bank = load_bank(mini_bank_path)
    files = build_package(bank, ids=["L-A2-T001-2", "R-A2-0001"])
    items = sorted(f for f in files if f.startswith("items/"))
    assert items == ["items/L-A2-T001-1.xml", "items/L-A2-T001-2.xml", "items/R-A2-0001.xml"]
    assert "assets/L-A2-T001.ogg" in files
    with pytest.raises(KeyError):
        build_package(bank, ids=["R-Z9-0000"])


def _check_structure(files):
    manifest = DET.fromstring(files["imsmanifest.xml"])
    assert manifest.tag == f"{{{CP_NS}}}manifest"                                    # R9
    resources = {r.get("identifier"): r for r in manifest.iter(f"{{{CP_NS}}}resource")}
    assert resources
    for rid, res in resources.items():
        assert rid and res.get("type") in {"imsqti_item_xmlv3p0", "imsqti_stimulus_xmlv3p0", "webcontent",
                                           "resourceextmetadata/xml", "extension"}
        assert res.get("href") in files
        for f in res.iter(f"{{{CP_NS}}}file"):
            assert f.get("href") in files
        for dep in res.iter(f"{{{CP_NS}}}dependency"):
            assert dep.get("identifierref") in resources
    stimulus_ids = {}
    for name, data in files.items():
        if name.startswith("stimuli/"):
            root = DET.fromstring(data)
            assert root.tag == f"{{{QTI_NS}}}qti-assessment-stimulus"                   # R1
            assert root.get("identifier") and root.get("title")
            assert any(local(c.tag) == "qti-stimulus-body" for c in root)
            stimulus_ids[name] = root.get("identifier")
    for name, data in files.items():
        if not name.startswith("items/"):
            continue
        root = DET.fromstring(data)
        assert root.tag == f"{{{QTI_NS}}}qti-assessment-item"                          # R1
        assert NCNAME.match(root.get("identifier")) and root.get("title")           # R1, R3
        assert root.get("time-dependent") in ("true", "false")
        order = [ITEM_ORDER.index(local(c.tag)) for c in root]                       # R2
        assert order == sorted(order), name
        declared = {}
        for rd in root:
            if local(rd.tag) == "qti-response-declaration":                          # R4
                assert NCNAME.match(rd.get("identifier"))
                assert rd.get("cardinality") in {"single", "multiple", "ordered", "record"}
                assert rd.get("base-type") in BASE_TYPES
                declared[rd.get("identifier")] = rd
        outcomes = {o.get("identifier"): o for o in root if local(o.tag) == "qti-outcome-declaration"}
        assert outcomes["SCORE"].get("base-type") == "float"                          # R8
        assert outcomes["SCORE"].get("cardinality") == "single"
        body = next(c for c in root if local(c.tag) == "qti-item-body")
        parents = {child: parent for parent in body.iter() for child in parent}
        for el in body.iter():
            tag = local(el.tag)
            if tag.endswith("-interaction"):
                rid = el.get("response-identifier")
                assert rid in declared, (name, rid)                                     # R4
                kids = [local(c.tag) for c in el]
                if "qti-prompt" in kids:
                    assert kids[0] == "qti-prompt"                                       # R6
                rd = declared[rid]
                correct = [v.text for cr in rd if local(cr.tag) == "qti-correct-response" for v in cr]
                keys = [e.get("map-key") for m in rd if local(m.tag) == "qti-mapping" for e in m]
                if tag in ("qti-choice-interaction", "qti-order-interaction"):
                    choices = {c.get("identifier") for c in el if local(c.tag) == "qti-simple-choice"}
                    assert choices and all(NCNAME.match(c) for c in choices)              # R3, R6
                    assert set(correct) <= choices and set(keys) <= choices               # R5
                if tag == "qti-match-interaction":
                    sets = [s for s in el if local(s.tag) == "qti-simple-match-set"]
                    assert len(sets) == 2                                                 # R6
                    src = {c.get("identifier") for c in sets[0]}
                    tgt = {c.get("identifier") for c in sets[1]}
                    for pair in correct + keys:                                           # R5
                        s, t = pair.split()
                        assert s in src and t in tgt
                if tag == "qti-text-entry-interaction":
                    assert local(parents[el].tag) == "p"                                  # R7
            if tag in ("img", "audio"):
                assert local(parents[el].tag) in ("p", "div")                             # R7
        rp = [c for c in root if local(c.tag) == "qti-response-processing"]
        if rp:                                                                           # R8
            tpl = rp[0].get("template")
            assert (tpl and tpl.startswith("https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/")) or len(rp[0])
        for ref in root:
            if local(ref.tag) == "qti-assessment-stimulus-ref":                         # R10
                target = posixpath.normpath(posixpath.join(posixpath.dirname(name), ref.get("href")))
                assert stimulus_ids[target] == ref.get("identifier")
    return True


def test_exported_xml_follows_the_qti3_structural_rules(real_bank, mini_bank_path):
    assert _check_structure(build_package(load_bank(mini_bank_path)))
    assert _check_structure(build_package(real_bank))


def test_structural_check_can_fail(mini_bank_path):
    files = build_package(load_bank(mini_bank_path))
    broken = dict(files)
    broken["items/R-A2-0001.xml"] = files["items/R-A2-0001.xml"].replace(
        b'response-identifier="RESPONSE"', b'response-identifier="NOPE"')
    with pytest.raises(AssertionError):
        _check_structure(broken)


# -- hostile packages -------------------------------------------------------------------


def _zip(members: dict[str, bytes], *, symlink: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return buf.getvalue()


@pytest.fixture
def good_files(mini_bank_path):
    return build_package(load_bank(mini_bank_path), ids=["R-A2-0001"])


def _refused(data, fragment, **kw):
    with pytest.raises(QtiImportError) as exc:
        import_package(data, **kw)
    text = str(exc.value)
    assert fragment in text, text
    return text


def test_xxe_and_billion_laughs_are_refused(good_files):
    xxe = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
           b'<manifest xmlns="http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1">&e;</manifest>')
    _refused(_zip({**good_files, "imsmanifest.xml": xxe}), "imsmanifest.xml: -: refused XML")
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              + b"".join(f'<!ENTITY lol{i} "{"&lol{};".format(i - 1 if i > 1 else "") * 10}">'.encode()
                         for i in range(1, 10))
              + b']><qti-assessment-item>&lol9;</qti-assessment-item>')
    _refused(_zip({**good_files, "items/R-A2-0001.xml": laughs}), "items/R-A2-0001.xml: -: refused XML")


@pytest.mark.parametrize("name, fragment", [
    ("../evil.txt", "path leaves the package"),
    ("items/../../evil.txt", "path leaves the package"),
    ("/etc/evil.txt", "absolute path"),
    ("C:/evil.txt", "absolute path"),
    ("items\\evil.txt", "backslash"),
])
def test_zip_slip_names_are_refused(good_files, name, fragment):
    _refused(_zip({**good_files, name: b"x"}), fragment)


def test_symlinks_are_refused(good_files):
    _refused(_zip(good_files, symlink="assets/link"), "symbolic link")


def test_zip_bombs_are_refused(good_files):
    bomb = _zip({**good_files, "assets/bomb.bin": b"\0" * (3 * 1024 * 1024)})
    _refused(bomb, "compression ratio")
    _refused(_zip(good_files), "per-file limit", limits=Limits(max_member_bytes=100))
    _refused(_zip(good_files), "total uncompressed size", limits=Limits(max_total_bytes=500))
    _refused(_zip({**good_files, **{f"assets/f{i}": b"" for i in range(20)}}), "members, more than",
             limits=Limits(max_members=10))


def test_member_whose_header_lies_is_refused(good_files):
    data = bytearray(_zip({**good_files, "assets/pad.bin": b"A" * 5000}))
    # Declare 10 bytes in the central directory for a member that inflates to 5000.
    cd = data.rfind(b"PK\x01\x02", 0, data.rfind(b"assets/pad.bin"))
    data[cd + 24:cd + 28] = (10).to_bytes(4, "little")
    text = _refused(bytes(data), "assets/pad.bin")
    assert "cannot be read" in text or "larger than its header" in text


def test_unknown_interaction_is_refused_naming_file_and_element(good_files):
    item = good_files["items/R-A2-0001.xml"].replace(b"qti-choice-interaction", b"qti-hotspot-interaction")
    text = _refused(_zip({**good_files, "items/R-A2-0001.xml": item}),
                    "items/R-A2-0001.xml: qti-hotspot-interaction: unsupported interaction")
    assert text


def test_references_outside_the_package_are_refused(good_files):
    item = good_files["items/R-A2-0001.xml"].replace(
        b'href="../stimuli/R-A2-0001-stimulus.xml"', b'href="../../../etc/passwd"')
    _refused(_zip({**good_files, "items/R-A2-0001.xml": item}), "leaves the package")
    manifest = good_files["imsmanifest.xml"].replace(b'href="items/R-A2-0001.xml"',
                                                     b'href="file:///etc/passwd"', 1)
    _refused(_zip({**good_files, "imsmanifest.xml": manifest}), "refused reference")


def test_deeply_nested_xml_is_refused(good_files):
    deep = good_files["items/R-A2-0001.xml"].replace(
        b"<qti-prompt>", b"<qti-prompt>" + b"<span>" * 5000 + b"x" + b"</span>" * 5000)
    _refused(_zip({**good_files, "items/R-A2-0001.xml": deep}), "nested deeper than 64")


def test_not_a_zip_and_missing_manifest():
    _refused(b"plain text", "not a zip file")
    _refused(_zip({"items/x.xml": b"<x/>"}), "no imsmanifest.xml")


def test_foreign_item_without_our_metadata_imports_with_defaults():
    item = f"""<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="{QTI_NS}" identifier="R-A2-0042" title="Bus" adaptive="false" time-dependent="false">
  <qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier">
    <qti-correct-response><qti-value>B</qti-value></qti-correct-response>
  </qti-response-declaration>
  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"/>
  <qti-item-body>
    <p>Bus 12 rijdt niet op zondag.</p>
    <qti-choice-interaction response-identifier="RESPONSE" max-choices="1">
      <qti-prompt>Wanneer rijdt bus 12 niet?</qti-prompt>
      <qti-simple-choice identifier="A">op maandag</qti-simple-choice>
      <qti-simple-choice identifier="B">op zondag</qti-simple-choice>
    </qti-choice-interaction>
  </qti-item-body>
  <qti-response-processing template="https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml"/>
</qti-assessment-item>""".encode()
    manifest = f"""<?xml version="1.0"?><manifest xmlns="{CP_NS}" identifier="m"><resources>
<resource identifier="r1" type="imsqti_item_xmlv3p0" href="item.xml"><file href="item.xml"/></resource>
</resources></manifest>""".encode()
    data = _zip({"imsmanifest.xml": manifest, "item.xml": item})
    bare = import_package(data)
    assert any(p.field == "skill" for p in bare.problems)
    result = import_package(data, defaults={"skill": "reading", "level": "A2", "topic": "transport",
                                            "task_type": "notice", "status": "draft", "author": "import"})
    assert not result.problems
    doc = result.documents[0]
    assert doc["key"] == "B" and doc["type"] == "single_choice"
    assert [o["text"] for o in doc["options"]] == ["op maandag", "op zondag"]


def test_foreign_media_interaction_and_text_entry_import():
    from .itemfixtures import opus_bytes

    item = f"""<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="{QTI_NS}" identifier="L-A2-0042" title="Bus" time-dependent="false">
  <qti-response-declaration identifier="G1" cardinality="single" base-type="string">
    <qti-correct-response><qti-value>twaalf</qti-value></qti-correct-response>
    <qti-mapping default-value="0">
      <qti-map-entry map-key="twaalf" mapped-value="1" case-sensitive="false"/>
      <qti-map-entry map-key="12" mapped-value="1" case-sensitive="false"/>
    </qti-mapping>
  </qti-response-declaration>
  <qti-response-declaration identifier="MEDIA" cardinality="single" base-type="integer"/>
  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float"/>
  <qti-item-body>
    <qti-media-interaction response-identifier="MEDIA" max-plays="3" autostart="false">
      <audio src="media/bus.ogg" controls="controls"/>
    </qti-media-interaction>
    <p>Luister en vul in.</p>
    <p>De bus rijdt om <qti-text-entry-interaction response-identifier="G1"/> uur.</p>
  </qti-item-body>
</qti-assessment-item>""".encode()
    manifest = f"""<?xml version="1.0"?><manifest xmlns="{CP_NS}" identifier="m"><resources>
<resource identifier="r1" type="imsqti_item_xmlv3p0" href="items/item.xml"><file href="items/item.xml"/></resource>
</resources></manifest>""".encode()
    data = _zip({"imsmanifest.xml": manifest, "items/item.xml": item, "items/media/bus.ogg": opus_bytes()})
    result = import_package(data, defaults={"skill": "listening", "level": "A2", "topic": "transport",
                                            "task_type": "announcement", "status": "draft",
                                            "author": "import"})
    doc = result.documents[0]
    assert doc["stimulus"] == {"kind": "audio", "src": "bus.ogg", "max_plays": 3}
    assert doc["type"] == "text_entry" and doc["prompt"] == "Luister en vul in."
    assert doc["text"] == "De bus rijdt om {{G1}} uur."
    assert doc["gaps"] == [{"id": "G1", "accepted": ["twaalf", "12"]}]
    assert result.assets["L-A2-0042"]["bus.ogg"] == opus_bytes()
    # The audio stimulus has no transcript or script in a foreign package: a clear problem.
    assert any(p.field.startswith("stimulus.") for p in result.problems)


def test_cli_export_and_import(mini_bank_path, tmp_path, capsys):
    from toetsbatterij.items.__main__ import main

    pkg = tmp_path / "bank.zip"
    assert main(["export-qti", str(mini_bank_path), str(pkg), "--ids", "R-A2-0001", "L-A2-T001"]) == 0
    assert main(["import-qti", str(pkg), str(tmp_path / "out")]) == 0
    assert (tmp_path / "out/items/listening/a2/L-A2-T001.yaml").exists()
    assert (tmp_path / "out/items/listening/a2/L-A2-T001.ogg").exists()
    (tmp_path / "bad.zip").write_bytes(b"PK not really")
    assert main(["import-qti", str(tmp_path / "bad.zip"), str(tmp_path / "out2")]) == 1
    assert "bad.zip: -: not a zip file" in capsys.readouterr().out


def test_paste_and_retake_policies_survive_the_exchange(tmp_path):
    import yaml
    from bankfixture import write_bank

    root = write_bank(tmp_path / "itembank")
    for path, field, value in ((root / "items/writing/a2/W-A2-0001.yaml", "paste", "allowed"),
                               (root / "items/speaking/a2/S-A2-0001.yaml", "retakes", 3)):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        doc[field] = value
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    bank = load_bank(root)
    assert bank.items["W-A2-0001"].definition["paste"] == "allowed"
    assert bank.items["S-A2-0001"].definition["retakes"] == 3
    buf = io.BytesIO()
    export_package(bank, buf, ids=["W-A2-0001", "S-A2-0001"])
    result = import_package(buf.getvalue())
    assert not result.problems
    assert roundtrip_equal(bank, result) == {"W-A2-0001", "S-A2-0001"}
