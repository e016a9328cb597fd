"""Export items as a QTI 3.0 content package (zip with ``imsmanifest.xml``).

Layout of the package::

    imsmanifest.xml              resources; per item/stimulus qtiMetadata and LOM; the bank version in the manifest's LOM
    items/<ID>.xml               one qti-assessment-item per item
    stimuli/<ID>.xml             one qti-assessment-stimulus per stimulus (testlet: the testlet id)
    metadata/items/<ID>.xml      our lossless metadata of an item (namespace urn:toetsbatterij:qti-metadata:1)
    metadata/stimuli/<ID>.xml    ... of a stimulus (and of its testlet)
    bank/vocabulary.yaml         the bank's vocabulary; a whole-bank export also has bank/tests/*.yaml
    assets/<file>                audio and images

Interactions, keys (``qti-correct-response``), scoring (response processing: templates, or rules;
text entry as ``qti-pattern-match`` that applies our normalisation), prompts, options, stimuli
and scorer rubrics are plain QTI. The manifest describes every item in the metadata models the
QTI 3 content-package profile allows: ``qtiMetadata`` (interaction type, scoring mode) and LOM
(identifier, language, status, author, CEFR level, skill, topic, task type). What neither has a
place for (enemies, parameters with provenance, testlet membership, normalisation, word limits,
speaking times, play limits, the analytic rubric with its notes, transcript and speech script)
travels in a resource of type ``resourceextmetadata/xml`` that the item or stimulus resource
depends on, so that export -> import is lossless. docs/qti.md lists where every field goes.
"""

from __future__ import annotations

import io
import json
import os
import re
import xml.etree.ElementTree as ET  # noqa: S405 - building XML, not parsing
import zipfile
from collections.abc import Iterable
from pathlib import Path

import yaml

from ..model import Item, Stimulus, Testlet
from ..normalise import Normalisation
from ..types.text_entry import GAP_RE
from .common import (
    BANK_FILE,
    BANK_RESOURCE,
    BANK_RESOURCE_ID,
    BANK_VERSION_CATALOG,
    CATALOG,
    CP_NS,
    CP_SCHEMA,
    EXT_METADATA_RESOURCE,
    ITEM_RESOURCE,
    LOM_NS,
    LOM_SCHEMA,
    MAP_RESPONSE,
    MATCH_CORRECT,
    QMD_NS,
    QMD_SCHEMA,
    QTI_NS,
    QTI_SCHEMA,
    STIMULUS_RESOURCE,
    TB_NS,
    WEB_RESOURCE,
    XSI_NS,
    add_lines,
    add_text_blocks,
    cp,
    encode_id,
    lom,
    q,
    qmd,
    tb,
)
from .patterns import gap_pattern


def _root(tag: str, identifier: str, title: str) -> ET.Element:
    el = ET.Element(q(tag), {
        "xmlns": QTI_NS,
        f"{{{XSI_NS}}}schemaLocation": f"{QTI_NS} {QTI_SCHEMA}",
        "identifier": encode_id(identifier), "title": title,
        "{http://www.w3.org/XML/1998/namespace}lang": "nl-BE",
    })
    return el


def _to_bytes(el: ET.Element) -> bytes:
    # No pretty-printing: indentation would change the text of mixed content (<p>a<br/></p>).
    return ET.tostring(el, encoding="utf-8", xml_declaration=True)


def stimulus_id(owner_id: str, testlet: bool) -> str:
    return owner_id if testlet else f"{owner_id}-stimulus"


def stimulus_xml(identifier: str, stim: Stimulus) -> bytes:
    root = _root("qti-assessment-stimulus", identifier, stim.title or identifier)
    body = ET.SubElement(root, q("qti-stimulus-body"))
    if stim.title is not None:
        h = ET.SubElement(body, q("h2"), {"class": "tb-title"})
        add_lines(h, stim.title)
    if stim.kind == "text":
        div = ET.SubElement(body, q("div"), {"class": "tb-text"})
        add_text_blocks(div, stim.text)
    elif stim.kind == "image":
        # img and audio are inline in QTI 3: wrap them in a block.
        media = ET.SubElement(body, q("div"), {"class": "tb-media"})
        ET.SubElement(media, q("img"), {"src": f"../assets/{stim.src}", "alt": stim.alt})
    else:
        media = ET.SubElement(body, q("div"), {"class": "tb-media"})
        # controls is an xs:boolean in QTI 3 (not HTML's controls="controls"); the play limit
        # has no attribute on audio: it travels in our metadata (max-plays).
        audio = ET.SubElement(media, q("audio"), {"src": f"../assets/{stim.src}", "controls": "true"})
        audio.text = ""
    return _to_bytes(root)


def _outcomes(root: ET.Element, max_score: int | None) -> None:
    out = ET.SubElement(root, q("qti-outcome-declaration"),
                        {"identifier": "SCORE", "cardinality": "single", "base-type": "float"})
    dv = ET.SubElement(ET.SubElement(out, q("qti-default-value")), q("qti-value"))
    dv.text = "0"
    if max_score is not None:
        mx = ET.SubElement(root, q("qti-outcome-declaration"),
                           {"identifier": "MAXSCORE", "cardinality": "single", "base-type": "float"})
        v = ET.SubElement(ET.SubElement(mx, q("qti-default-value")), q("qti-value"))
        v.text = str(max_score)


def _response(root: ET.Element, identifier: str, cardinality: str, base_type: str,
              correct: Iterable[str] = ()) -> ET.Element:
    rd = ET.SubElement(root, q("qti-response-declaration"),
                       {"identifier": identifier, "cardinality": cardinality, "base-type": base_type})
    correct = list(correct)
    if correct:
        cr = ET.SubElement(rd, q("qti-correct-response"))
        for value in correct:
            ET.SubElement(cr, q("qti-value")).text = value
    return rd


def _mapping(rd: ET.Element, entries: list[tuple[str, str]], *, lower: str | None = "0",
             case_sensitive: bool | None = None) -> None:
    attrs = {"default-value": "0"}
    if lower is not None:
        attrs["lower-bound"] = lower
    m = ET.SubElement(rd, q("qti-mapping"), attrs)
    for key, value in entries:
        e = {"map-key": key, "mapped-value": value}
        if case_sensitive is not None:
            e["case-sensitive"] = "true" if case_sensitive else "false"
        ET.SubElement(m, q("qti-map-entry"), e)


def _prompt(parent: ET.Element, text: str) -> None:
    add_lines(ET.SubElement(parent, q("qti-prompt")), text)


def _choice(parent: ET.Element, tag: str, oid: str, text: str, **attrs: str) -> None:
    el = ET.SubElement(parent, q(tag), {"identifier": encode_id(oid), **attrs})
    add_lines(el, text)


def _set_score(parent: ET.Element, expr: ET.Element) -> None:
    s = ET.SubElement(parent, q("qti-set-outcome-value"), {"identifier": "SCORE"})
    s.append(expr)


def _base(value: str, base_type: str = "float") -> ET.Element:
    el = ET.Element(q("qti-base-value"), {"base-type": base_type})
    el.text = value
    return el


def _var(identifier: str) -> ET.Element:
    return ET.Element(q("qti-variable"), {"identifier": identifier})


def _add_one_if(rp: ET.Element, condition: ET.Element) -> None:
    rc = ET.SubElement(rp, q("qti-response-condition"))
    rif = ET.SubElement(rc, q("qti-response-if"))
    rif.append(condition)
    total = ET.Element(q("qti-sum"))
    total.append(_var("SCORE"))
    total.append(_base("1"))
    _set_score(rif, total)


def _gap_blocks(parent: ET.Element, text: str) -> None:
    for para in text.split("\n\n"):
        p = ET.SubElement(parent, q("p"))
        last: ET.Element | None = None
        pos = 0

        def put(chunk: str, p=p) -> None:
            nonlocal last
            lines = chunk.split("\n")
            for k, line in enumerate(lines):
                if k:
                    last = ET.SubElement(p, q("br"))
                if last is None:
                    p.text = (p.text or "") + line
                else:
                    last.tail = (last.tail or "") + line

        for m in GAP_RE.finditer(para):
            put(para[pos:m.start()])
            last = ET.SubElement(p, q("qti-text-entry-interaction"),
                                 {"response-identifier": f"RESPONSE_{m.group(1)}"})
            pos = m.end()
        put(para[pos:])


def _rubric_block(body: ET.Element, rubric: dict | None) -> None:
    if not rubric:
        return
    rb = ET.SubElement(body, q("qti-rubric-block"), {"view": "scorer", "use": "scoring"})
    content = ET.SubElement(rb, q("qti-content-body"))
    if rubric.get("notes"):  # the rater guidance, before the criteria
        add_text_blocks(ET.SubElement(content, q("div"), {"class": "tb-rubric-notes"}), rubric["notes"])
    for crit in rubric["criteria"]:
        p = ET.SubElement(content, q("p"))
        p.text = crit["name"]
        ul = ET.SubElement(content, q("ul"))
        for lv in crit["levels"]:
            ET.SubElement(ul, q("li")).text = f"{lv['score']}: {lv['descriptor']}"


def item_xml(item: Item, stimulus_refs: list[tuple[str, str]], rubric: dict | None = None) -> bytes:
    """One ``qti-assessment-item``. ``stimulus_refs``: (identifier, href) of its stimuli."""
    d = item.definition
    root = _root("qti-assessment-item", item.id, item.id)
    root.set("adaptive", "false")
    root.set("time-dependent", "false")
    t = item.type
    rp: ET.Element | None = ET.Element(q("qti-response-processing"))
    if t == "single_choice":
        _response(root, "RESPONSE", "single", "identifier", [encode_id(d["key"])])
        rp.set("template", MATCH_CORRECT)
    elif t == "multiple_response":
        rd = _response(root, "RESPONSE", "multiple", "identifier", [encode_id(k) for k in d["key"]])
        if d["scoring"] == "per_option":
            _mapping(rd, [(encode_id(o["id"]), "1" if o["id"] in d["key"] else "-1") for o in d["options"]])
            rp.set("template", MAP_RESPONSE)
        else:
            rp.set("template", MATCH_CORRECT)
    elif t == "text_entry":
        rules = Normalisation(**d["normalisation"])
        case_sensitive = not rules.case
        matches = []
        for g in d["gaps"]:
            rid = f"RESPONSE_{g['id']}"
            rd = _response(root, rid, "single", "string", [g["accepted"][0]])
            # The accepted answers as written (what a reader or an importer sees); the response
            # processing below applies the normalisation, so a player scores like our scorer.
            _mapping(rd, [(a, "1") for a in g["accepted"]], lower=None, case_sensitive=case_sensitive)
            pm = ET.Element(q("qti-pattern-match"), {"pattern": gap_pattern(g["accepted"], rules)})
            pm.append(_var(rid))
            matches.append(pm)
        _set_score(rp, _base("0"))
        if d["scoring"] == "all_or_nothing":
            both = ET.Element(q("qti-and"))
            both.extend(matches)
            rc = ET.SubElement(rp, q("qti-response-condition"))
            rif = ET.SubElement(rc, q("qti-response-if"))
            rif.append(both)
            _set_score(rif, _base("1"))
        else:
            for pm in matches:
                _add_one_if(rp, pm)
    elif t == "ordering":
        _response(root, "RESPONSE", "ordered", "identifier", [encode_id(k) for k in d["key"]])
        if d["scoring"] == "per_position":
            _set_score(rp, _base("0"))
            for n, k in enumerate(d["key"], start=1):
                match = ET.Element(q("qti-match"))
                idx = ET.SubElement(match, q("qti-index"), {"n": str(n)})
                idx.append(_var("RESPONSE"))
                match.append(_base(encode_id(k), "identifier"))
                _add_one_if(rp, match)
        else:
            rp.set("template", MATCH_CORRECT)
    elif t == "matching":
        pairs = [f"{encode_id(s)} {encode_id(x)}" for s, x in d["key"].items()]
        rd = _response(root, "RESPONSE", "multiple", "directedPair", pairs)
        if d["scoring"] == "per_pair":
            _mapping(rd, [(p, "1") for p in pairs])
            rp.set("template", MAP_RESPONSE)
        else:
            rp.set("template", MATCH_CORRECT)
    elif t == "extended_text":
        _response(root, "RESPONSE", "single", "string")
        rp = None
    elif t == "spoken_response":
        _response(root, "RESPONSE", "single", "file")
        rp = None
    _outcomes(root, item.max_score if item.parameters is not None else None)
    for ident, href in stimulus_refs:
        ET.SubElement(root, q("qti-assessment-stimulus-ref"),
                      {"identifier": encode_id(ident), "href": href})
    body = ET.SubElement(root, q("qti-item-body"))
    if t in ("single_choice", "multiple_response"):
        it = ET.SubElement(body, q("qti-choice-interaction"), {
            "response-identifier": "RESPONSE", "shuffle": str(d["shuffle"]).lower(),
            "max-choices": "1" if t == "single_choice" else "0", "min-choices": "0"})
        _prompt(it, d["prompt"])
        for o in d["options"]:
            _choice(it, "qti-simple-choice", o["id"], o["text"])
    elif t == "text_entry":
        add_text_blocks(ET.SubElement(body, q("div"), {"class": "tb-prompt"}), d["prompt"])
        _gap_blocks(ET.SubElement(body, q("div"), {"class": "tb-gap-text"}), d["text"])
    elif t == "ordering":
        it = ET.SubElement(body, q("qti-order-interaction"),
                           {"response-identifier": "RESPONSE", "shuffle": "true"})
        _prompt(it, d["prompt"])
        for o in d["options"]:
            _choice(it, "qti-simple-choice", o["id"], o["text"])
    elif t == "matching":
        n = len(d["sources"])
        it = ET.SubElement(body, q("qti-match-interaction"), {
            "response-identifier": "RESPONSE", "shuffle": str(d["shuffle"]).lower(),
            "max-associations": str(n)})
        _prompt(it, d["prompt"])
        srcs = ET.SubElement(it, q("qti-simple-match-set"))
        for s in d["sources"]:
            _choice(srcs, "qti-simple-associable-choice", s["id"], s["text"], **{"match-max": "1"})
        tgts = ET.SubElement(it, q("qti-simple-match-set"))
        for x in d["targets"]:
            _choice(tgts, "qti-simple-associable-choice", x["id"], x["text"], **{"match-max": str(n)})
    elif t == "extended_text":
        it = ET.SubElement(body, q("qti-extended-text-interaction"),
                           {"response-identifier": "RESPONSE", "format": "plain",
                            "expected-length": str(d["max_words"] * 7)})
        _prompt(it, d["prompt"])
        _rubric_block(body, rubric)
    elif t == "spoken_response":
        it = ET.SubElement(body, q("qti-upload-interaction"),
                           {"response-identifier": "RESPONSE", "type": "audio/ogg",
                            "class": "tb-spoken-response"})
        _prompt(it, d["prompt"])
        _rubric_block(body, rubric)
    if rp is not None:
        root.append(rp)
    return _to_bytes(root)


# -- metadata ---------------------------------------------------------------------------


def _text_el(parent: ET.Element, tag: str, text: str | None) -> None:
    if text is not None:
        ET.SubElement(parent, tb(tag)).text = text


def item_metadata(item: Item, testlet: Testlet | None, rubric: dict | None) -> ET.Element:
    d = item.definition
    attrs = {"id": item.id, "type": item.type, "skill": item.skill, "level": item.level,
             "status": item.status}
    for name, value in (("topic", item.topic), ("task-type", item.task_type), ("author", item.author)):
        if value is not None:
            attrs[name] = value
    if item.testlet_id:
        attrs.update(testlet=item.testlet_id, position=str(item.position))
    if "scoring" in d:
        attrs["scoring"] = d["scoring"]
    for name in ("min_words", "max_words", "preparation_seconds", "response_seconds", "rubric",
                 "paste", "retakes"):
        if name in d:
            attrs[name.replace("_", "-")] = str(d[name])
    el = ET.Element(tb("item"), attrs)
    own_enemies = [e for e in item.enemies if not (testlet and e in testlet.enemies)]
    for e in own_enemies:
        _text_el(el, "enemy", e)
    if item.type == "text_entry":
        ET.SubElement(el, tb("normalisation"),
                      {k: str(v).lower() for k, v in d["normalisation"].items()})
    if item.explicit_parameters and item.parameters is not None:
        p = item.parameters
        pa = {"model": p.model, "a": repr(p.a)}
        if p.model in ("gpcm", "grm"):
            pa["thresholds"] = " ".join(repr(x) for x in p.thresholds)
        else:
            pa["b"] = repr(p.b)
            if p.model == "3pl":
                pa["c"] = repr(p.c)
        pe = ET.SubElement(el, tb("parameters"), pa)
        _text_el(pe, "provenance", json.dumps(p.provenance, ensure_ascii=False, sort_keys=True))
    if item.explicit_criteria:  # written GPCM parameters per rubric criterion (rated items)
        written = {k: item.criterion_parameters[k].as_dict() for k in item.explicit_criteria}
        _text_el(el, "criterion-parameters", json.dumps(written, ensure_ascii=False,
                                                        sort_keys=True))
    _text_el(el, "notes", item.notes)
    _text_el(el, "feedback", item.feedback)
    if rubric is not None:
        _text_el(el, "rubric", json.dumps(rubric, ensure_ascii=False, sort_keys=True))
    return el


def stimulus_metadata(stim: Stimulus, testlet: Testlet | None) -> ET.Element:
    attrs = {"kind": stim.kind}
    if stim.kind == "audio":
        attrs["max-plays"] = str(stim.max_plays)
    el = ET.Element(tb("stimulus"), attrs)
    if testlet is not None:
        te = ET.SubElement(el, tb("testlet"), {
            "id": testlet.id, "skill": testlet.skill, "level": testlet.level,
            "status": testlet.status, **({"topic": testlet.topic} if testlet.topic else {}),
            **({"task-type": testlet.task_type} if testlet.task_type else {}),
            **({"author": testlet.author} if testlet.author else {})})
        for e in testlet.enemies:
            _text_el(te, "enemy", e)
        _text_el(te, "notes", testlet.notes)
    _text_el(el, "transcript", stim.transcript)
    if stim.script:
        _text_el(el, "script", json.dumps(list(stim.script), ensure_ascii=False, sort_keys=True))
    return el


def ext_metadata_xml(resource_id: str, record: ET.Element) -> bytes:
    """The file of a ``resourceextmetadata/xml`` resource: our record of one resource."""
    root = ET.Element(tb("metadata"), {"resource": resource_id})
    root.append(record)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


# -- standard metadata (qtiMetadata, LOM) -------------------------------------------------

_INTERACTION = {
    "single_choice": "choiceInteraction", "multiple_response": "choiceInteraction",
    "text_entry": "textEntryInteraction", "ordering": "orderInteraction",
    "matching": "matchInteraction", "extended_text": "extendedTextInteraction",
    "spoken_response": "uploadInteraction",
}


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    el = ET.SubElement(parent, tag)
    if text is not None:
        el.text = text
    return el


def _lang_string(parent: ET.Element, tag: str, text: str, language: str) -> None:
    _sub(_sub(parent, lom(tag)), lom("string")).text = text
    parent[-1][0].set("language", language)


def _vocabulary(parent: ET.Element, tag: str, source: str, value: str) -> None:
    el = _sub(parent, lom(tag))
    _sub(el, lom("source"), source)
    _sub(el, lom("value"), value)


def _vcard(name: str) -> str:
    escaped = name.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return f"BEGIN:VCARD\nVERSION:3.0\nFN:{escaped}\nEND:VCARD"


def _classification(parent: ET.Element, purpose: str, paths: list[tuple[str, str]]) -> None:
    cl = _sub(parent, lom("classification"))
    _vocabulary(cl, "purpose", "LOMv1.0", purpose)
    for source, value in paths:
        tp = _sub(cl, lom("taxonPath"))
        _lang_string(tp, "source", source, "x-none")
        taxon = _sub(tp, lom("taxon"))
        _sub(taxon, lom("id"), value)
        _lang_string(taxon, "entry", value, "x-none")


def qti_metadata(item: Item) -> ET.Element:
    md = ET.Element(qmd("qtiMetadata"))
    _sub(md, qmd("timeDependent"), "false")
    _sub(md, qmd("interactionType"), _INTERACTION[item.type])
    _sub(md, qmd("feedbackType"), "none")
    _sub(md, qmd("solutionAvailable"), "false" if item.rated else "true")
    _sub(md, qmd("scoringMode"), "human" if item.rated else "responseprocessing")
    _sub(md, qmd("toolName"), "toetsbatterij")
    return md


def lom_record(identifier: str, *, skill: str | None = None, level: str | None = None,
               topic: str | None = None, task_type: str | None = None,
               status: str | None = None, author: str | None = None) -> ET.Element:
    """LOM: identifier, title, language; lifecycle status and author; CEFR level, skill,
    topic and task type as classifications (vocabulary source ``toetsbatterij``)."""
    rec = ET.Element(lom("lom"))
    general = _sub(rec, lom("general"))
    ident = _sub(general, lom("identifier"))
    _sub(ident, lom("catalog"), CATALOG)
    _sub(ident, lom("entry"), identifier)
    _lang_string(general, "title", identifier, "nl-BE")
    _sub(general, lom("language"), "nl-BE")
    if status is not None or author is not None:
        life = _sub(rec, lom("lifeCycle"))
        if status is not None:
            _vocabulary(life, "status", CATALOG, status)
        if author is not None:
            contribute = _sub(life, lom("contribute"))
            _vocabulary(contribute, "role", "LOMv1.0", "author")
            _sub(contribute, lom("entity"), _vcard(author))
    if level is not None:
        _classification(rec, "educational level", [("CEFR", level)])
    if skill is not None:
        _classification(rec, "discipline", [(f"{CATALOG}:skill", skill)])
    ideas = [(f"{CATALOG}:{name}", value) for name, value in
             (("topic", topic), ("task-type", task_type)) if value is not None]
    if ideas:
        _classification(rec, "idea", ideas)
    return rec


# -- package ----------------------------------------------------------------------------


def _units(bank, ids: Iterable[str] | None) -> list[Testlet | Item]:
    """Testlets as a unit; a member id selects its whole testlet."""
    wanted = None if ids is None else set(ids)
    units: list[Testlet | Item] = []
    seen: set[str] = set()
    for item in bank.items.values():
        unit_id = item.testlet_id or item.id
        if unit_id in seen:
            continue
        if wanted is not None and not ({item.id, unit_id} & wanted or
                                       (item.testlet_id and set(bank.testlets[item.testlet_id].item_ids) & wanted)):
            continue
        seen.add(unit_id)
        units.append(bank.testlets[item.testlet_id] if item.testlet_id else item)
    if wanted is not None:
        known = set(bank.items) | set(bank.testlets)
        unknown = sorted(wanted - known)
        if unknown:
            raise KeyError(f"unknown item or testlet id {unknown[0]!r}")
    return units


_SAFE_ASSET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def rubric_record(bank, rubric_id: str) -> dict:
    """A rubric as the bank file has it: the criteria and the notes for raters (rater
    guidance, which the loaded :class:`~toetsbatterij.items.model.Rubric` does not keep)."""
    rubric = bank.rubrics[rubric_id]
    out = rubric.as_dict()
    if rubric.source:
        raw = yaml.safe_load((bank.root / rubric.source).read_text(encoding="utf-8"))
        if isinstance(raw, dict) and isinstance(raw.get("notes"), str):
            out["notes"] = raw["notes"]
    return out


def _manifest_metadata(manifest: ET.Element, version: str) -> None:
    md = ET.SubElement(manifest, cp("metadata"))
    ET.SubElement(md, cp("schema")).text = "QTI Package"
    ET.SubElement(md, cp("schemaversion")).text = "3.0.0"
    rec = ET.SubElement(md, lom("lom"))
    general = _sub(rec, lom("general"))
    ident = _sub(general, lom("identifier"))
    _sub(ident, lom("catalog"), BANK_VERSION_CATALOG)
    _sub(ident, lom("entry"), version)
    _lang_string(general, "title", "toetsbatterij: itembank", "nl-BE")
    _sub(general, lom("language"), "nl-BE")
    life = _sub(rec, lom("lifeCycle"))
    _lang_string(life, "version", version, "x-none")


def build_package(bank, ids: Iterable[str] | None = None) -> dict[str, bytes]:
    """The package's files (path -> bytes)."""
    files: dict[str, bytes] = {}
    manifest = ET.Element(cp("manifest"), {
        "xmlns": CP_NS,
        "identifier": f"toetsbatterij-{bank.version[:16]}",
        f"{{{XSI_NS}}}schemaLocation": (f"{CP_NS} {CP_SCHEMA} {LOM_NS} {LOM_SCHEMA} "
                                        f"{QMD_NS} {QMD_SCHEMA}")})
    _manifest_metadata(manifest, bank.version)
    ET.SubElement(manifest, cp("organizations"))
    resources = ET.SubElement(manifest, cp("resources"))
    assets: dict[str, Path] = {}
    extensions: list[ET.Element] = []

    def add_ext(kind: str, ident: str, record: ET.Element) -> str:
        rid = f"RES-META-{kind.upper()}-{ident}"
        href = f"metadata/{kind}/{ident}.xml"
        files[href] = ext_metadata_xml(f"RES-{ident}", record)
        res = ET.Element(cp("resource"), {"identifier": rid, "type": EXT_METADATA_RESOURCE,
                                          "href": href})
        ET.SubElement(res, cp("file"), {"href": href})
        extensions.append(res)
        return rid

    def add_stimulus(ident: str, stim: Stimulus, owner, testlet: Testlet | None) -> tuple[str, str]:
        href = f"stimuli/{ident}.xml"
        files[href] = stimulus_xml(ident, stim)
        res = ET.SubElement(resources, cp("resource"), {
            "identifier": f"RES-{ident}", "type": STIMULUS_RESOURCE, "href": href})
        meta = ET.SubElement(res, cp("metadata"))
        if testlet is not None:
            meta.append(lom_record(ident, skill=testlet.skill, level=testlet.level,
                                   topic=testlet.topic, task_type=testlet.task_type,
                                   status=testlet.status, author=testlet.author))
        else:
            meta.append(lom_record(ident))
        ET.SubElement(res, cp("file"), {"href": href})
        ET.SubElement(res, cp("dependency"), {
            "identifierref": add_ext("stimuli", ident, stimulus_metadata(stim, testlet))})
        if stim.src:
            if not _SAFE_ASSET.match(stim.src):
                raise ValueError(f"unsafe asset name {stim.src!r}")
            path = bank.root / Path(owner.source).parent / stim.src
            assets[stim.src] = path
            ET.SubElement(res, cp("dependency"), {"identifierref": f"RES-ASSET-{stim.src}"})
        return ident, f"../{href}"

    for unit in _units(bank, ids):
        members = unit.items if isinstance(unit, Testlet) else (unit,)
        shared = None
        if isinstance(unit, Testlet):
            shared = add_stimulus(unit.id, unit.stimulus, unit, unit)
        for item in members:
            refs = [shared] if shared else []
            if item.stimulus is not None:
                refs.append(add_stimulus(stimulus_id(item.id, False), item.stimulus, item, None))
            rubric = rubric_record(bank, item.rubric) if item.rated and item.rubric in bank.rubrics else None
            href = f"items/{item.id}.xml"
            files[href] = item_xml(item, refs, rubric)
            res = ET.SubElement(resources, cp("resource"), {
                "identifier": f"RES-{item.id}", "type": ITEM_RESOURCE, "href": href})
            meta = ET.SubElement(res, cp("metadata"))
            meta.append(qti_metadata(item))
            meta.append(lom_record(item.id, skill=item.skill, level=item.level, topic=item.topic,
                                   task_type=item.task_type, status=item.status,
                                   author=item.author))
            ET.SubElement(res, cp("file"), {"href": href})
            for ident, _ in refs:
                ET.SubElement(res, cp("dependency"), {"identifierref": f"RES-{ident}"})
            record = item_metadata(item, unit if isinstance(unit, Testlet) else None, rubric)
            ET.SubElement(res, cp("dependency"), {"identifierref": add_ext("items", item.id, record)})
    resources.extend(extensions)
    for name, path in sorted(assets.items()):
        href = f"assets/{name}"
        files[href] = path.read_bytes()
        res = ET.SubElement(resources, cp("resource"), {
            "identifier": f"RES-ASSET-{name}", "type": WEB_RESOURCE, "href": href})
        ET.SubElement(res, cp("file"), {"href": href})
    # The bank's own files besides items and rubrics: the test manifests (the bank version
    # covers them; only with the whole bank: a selection's manifests would name missing items)
    # and the vocabulary the items are checked against.
    bank_files = {"bank/vocabulary.yaml": bank.root / "vocabulary.yaml"}
    if ids is None:
        for _, test in sorted(bank.tests.items()):
            bank_files[f"bank/{test.source}"] = bank.root / test.source
        # What the test forms hold besides items: practice sets (with their audio) and the
        # exposure parameters, so that the imported bank builds the same forms.
        for folder in ("practice", "exposure"):
            for path in sorted((bank.root / folder).glob("*")):
                if path.is_file() and BANK_FILE.match(f"{folder}/{path.name}"):
                    bank_files[f"bank/{folder}/{path.name}"] = path
    bank_files = {k: v for k, v in bank_files.items() if v.is_file()}
    if bank_files:
        first = next(iter(bank_files))
        res = ET.SubElement(resources, cp("resource"), {
            "identifier": BANK_RESOURCE_ID, "type": BANK_RESOURCE, "href": first})
        for href, path in bank_files.items():
            files[href] = path.read_bytes()
            ET.SubElement(res, cp("file"), {"href": href})
    ET.indent(manifest, space="  ")
    files["imsmanifest.xml"] = ET.tostring(manifest, encoding="utf-8", xml_declaration=True)
    return files


def export_package(bank, output: str | os.PathLike | io.BytesIO, ids: Iterable[str] | None = None) -> int:
    """Write the QTI 3.0 package of ``bank`` (or of the items/testlets ``ids``) as a zip.
    Returns the number of items exported."""
    files = build_package(bank, ids)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("imsmanifest.xml", files.pop("imsmanifest.xml"))
        for name in sorted(files):
            zf.writestr(name, files[name])
    return sum(1 for name in files if name.startswith("items/"))


__all__ = ["TB_NS", "build_package", "export_package", "item_xml", "rubric_record",
           "stimulus_xml"]
