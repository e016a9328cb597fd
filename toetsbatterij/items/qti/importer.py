"""Import a QTI 3.0 content package: hostile input, read defensively.

- The zip is checked before anything is extracted: member count, per-member and total
  uncompressed size, compression ratio, and names (no absolute paths, drive letters,
  backslashes, ``..`` components or NUL bytes), no symlinks, no encrypted members, no duplicate
  names; sizes are enforced while reading, so a lying header does not help. Nothing is ever
  written to disk by the reader: members are read into memory under those limits.
- Every XML document is parsed with defusedxml with DTDs forbidden: no entity expansion
  (billion laughs), no external entities or DTDs (XXE).
- Interactions other than choice, text entry, extended text, order, match, media and upload
  are refused with a message naming the file and the element.

The result is a list of item/testlet *documents* in the bank's YAML format (FORMAT.md), the
rubrics and the assets; ``write_documents`` lays them out as a bank.
"""

from __future__ import annotations

import io
import json
import os
import posixpath
import re
import stat
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError  # noqa: S405 - types only

import defusedxml.ElementTree as DET
import yaml
from defusedxml import DefusedXmlException

from ..errors import ItemValidationError, Problem
from ..parse import parse_document
from ..vocabulary import DEFAULT_VOCABULARY_PATH, Vocabulary
from .common import (
    BANK_FILE,
    BANK_RESOURCE,
    BANK_RESOURCE_ID,
    BANK_VERSION_CATALOG,
    CATALOG,
    EXT_METADATA_RESOURCE,
    ITEM_RESOURCE,
    LOM_NS,
    STIMULUS_RESOURCE,
    SUPPORTED_INTERACTIONS,
    TB_NS,
    decode_id,
    local,
    text_of_blocks,
    text_of_inline,
)


class QtiImportError(ItemValidationError):
    """The package is refused; ``problems`` name the file and the element or limit."""


@dataclass(frozen=True)
class Limits:
    max_members: int = 5000
    max_member_bytes: int = 50 * 1024 * 1024
    max_total_bytes: int = 300 * 1024 * 1024
    max_ratio: float = 100.0            # uncompressed / compressed, for members above ratio_floor
    ratio_floor: int = 1024 * 1024
    max_xml_bytes: int = 5 * 1024 * 1024
    max_xml_depth: int = 64


@dataclass
class ImportResult:
    documents: list[dict] = field(default_factory=list)          # items and testlets
    rubrics: dict[str, dict] = field(default_factory=dict)
    assets: dict[str, dict[str, bytes]] = field(default_factory=dict)  # document id -> src -> bytes
    problems: list[Problem] = field(default_factory=list)        # validation of the documents
    bank_version: str | None = None      # the exported bank's version (manifest LOM), if any
    bank_files: dict[str, bytes] = field(default_factory=dict)   # bank path -> bytes (tests, vocabulary)


_DRIVE = re.compile(r"^[A-Za-z]:")


def _refuse(file: str, element: str, message: str) -> QtiImportError:
    return QtiImportError([Problem(file, element, message)])


def safe_member_name(name: str) -> str | None:
    """The reason a member name is refused, or None."""
    if not name or "\x00" in name:
        return "empty name or NUL byte"
    if "\\" in name:
        return "backslash in path"
    if name.startswith("/") or _DRIVE.match(name):
        return "absolute path"
    parts = name.split("/")
    if any(p == ".." for p in parts):
        return "path leaves the package (..)"
    return None


def read_zip(source: str | os.PathLike | bytes | io.IOBase, limits: Limits = Limits()) -> dict[str, bytes]:
    """Read every member into memory under ``limits``; refuse the package on any violation."""
    pkg = "<package>"
    if isinstance(source, bytes | bytearray):
        source = io.BytesIO(source)
    elif not hasattr(source, "read"):
        pkg = Path(source).name
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _refuse(pkg, "-", f"not a zip file ({exc})") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_members:
            raise _refuse(pkg, "-", f"{len(infos)} members, more than the limit {limits.max_members}")
        declared = 0
        seen: set[str] = set()
        for info in infos:
            reason = safe_member_name(info.filename)
            if reason:
                raise _refuse(pkg, info.filename, f"refused member name: {reason}")
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise _refuse(pkg, info.filename, "refused: symbolic link")
            if info.flag_bits & 0x1:
                raise _refuse(pkg, info.filename, "refused: encrypted member")
            norm = posixpath.normpath(info.filename)
            if norm in seen:
                raise _refuse(pkg, info.filename, "refused: duplicate member name")
            seen.add(norm)
            if info.file_size > limits.max_member_bytes:
                raise _refuse(pkg, info.filename, f"refused: {info.file_size} bytes uncompressed, above the per-file limit {limits.max_member_bytes}")
            if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
                raise _refuse(pkg, info.filename, f"refused: compression ratio above {limits.max_ratio:.0f} (zip bomb?)")
            declared += info.file_size
            if declared > limits.max_total_bytes:
                raise _refuse(pkg, info.filename, f"refused: total uncompressed size above {limits.max_total_bytes} bytes")
        out: dict[str, bytes] = {}
        total = 0
        for info in infos:
            if info.is_dir():
                continue
            budget = min(limits.max_member_bytes, info.file_size)
            buf = bytearray()
            try:
                with zf.open(info) as fh:
                    while chunk := fh.read(65536):
                        buf += chunk
                        if len(buf) > budget:
                            raise _refuse(pkg, info.filename, "refused: member larger than its header says")
            except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
                raise _refuse(pkg, info.filename, f"cannot be read ({exc})") from None
            total += len(buf)
            if total > limits.max_total_bytes:
                raise _refuse(pkg, info.filename, "refused: total uncompressed size above the limit")
            out[posixpath.normpath(info.filename)] = bytes(buf)
        return out


def parse_xml(data: bytes, file: str, limits: Limits = Limits()) -> Element:
    if len(data) > limits.max_xml_bytes:
        raise _refuse(file, "-", f"XML document larger than {limits.max_xml_bytes} bytes")
    try:
        root = DET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise _refuse(file, "-", f"refused XML: {type(exc).__name__} (DTDs and entities are not allowed)") from None
    except ParseError as exc:
        raise _refuse(file, "-", f"not well-formed XML ({exc})") from None
    # Reading the content walks elements recursively: refuse absurd nesting up front.
    stack = [(root, 1)]
    while stack:
        el, depth = stack.pop()
        if depth > limits.max_xml_depth:
            raise _refuse(file, local(el.tag), f"refused XML: nested deeper than {limits.max_xml_depth} elements")
        stack.extend((child, depth + 1) for child in el)
    return root


def _children(el: Element, name: str) -> list[Element]:
    return [c for c in el if local(c.tag) == name]


def _first(el: Element, name: str) -> Element | None:
    for c in el.iter():
        if local(c.tag) == name:
            return c
    return None


def _resolve(base_file: str, href: str, files: Mapping[str, bytes], where: str, element: str) -> str:
    reason = safe_member_name(href) if not href.startswith("../") else None
    if href.startswith(("/", "\\")) or _DRIVE.match(href) or "\\" in href or "://" in href:
        reason = "absolute or external reference"
    if reason:
        raise _refuse(where, element, f"refused reference {href!r}: {reason}")
    target = posixpath.normpath(posixpath.join(posixpath.dirname(base_file), href))
    if target.startswith("../") or target == "..":
        raise _refuse(where, element, f"refused reference {href!r}: leaves the package")
    if target not in files:
        raise _refuse(where, element, f"{href!r} is not in the package")
    return target


# -- metadata ---------------------------------------------------------------------------


def _tb(el: Element | None, name: str) -> Element | None:
    if el is None:
        return None
    for c in el.iter(f"{{{TB_NS}}}{name}"):
        return c
    return None


def _tb_texts(el: Element, name: str) -> list[str]:
    return [c.text or "" for c in el if c.tag == f"{{{TB_NS}}}{name}"]


def _tb_text(el: Element, name: str) -> str | None:
    found = _tb_texts(el, name)
    return found[0] if found else None


def _json(text: str | None, file: str, element: str) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        raise _refuse(file, element, "metadata is not valid JSON") from None


def _meta_fields(meta: Element | None) -> dict:
    out: dict[str, Any] = {}
    if meta is None:
        return out
    for attr, key in (("skill", "skill"), ("level", "level"), ("topic", "topic"),
                      ("task-type", "task_type"), ("status", "status"), ("author", "author")):
        if meta.get(attr) is not None:
            out[key] = meta.get(attr)
    enemies = _tb_texts(meta, "enemy")
    if enemies:
        out["enemies"] = enemies
    notes = _tb_text(meta, "notes")
    if notes is not None:
        out["notes"] = notes
    return out


def _lom_text(el: Element | None, *path: str) -> list[str]:
    """Texts at ``path`` (LOM element names) below ``el``."""
    found = [el] if el is not None else []
    for name in path:
        found = [c for f in found for c in f if c.tag == f"{{{LOM_NS}}}{name}"]
    return [(f.text or "").strip() for f in found]


def _lom(res: Element | None) -> Element | None:
    if res is None:
        return None
    return next((m for m in res.iter(f"{{{LOM_NS}}}lom")), None)


def lom_fields(res: Element | None) -> dict:
    """Skill, level, topic, task type, status and author from a resource's LOM, as we export
    them (vocabulary source ``toetsbatterij``; the CEFR level under "educational level"): the
    fallback when a package has no record of ours for the resource."""
    rec = _lom(res)
    out: dict[str, Any] = {}
    if rec is None:
        return out
    for life in (c for c in rec if c.tag == f"{{{LOM_NS}}}lifeCycle"):
        for status in (c for c in life if c.tag == f"{{{LOM_NS}}}status"):
            if _lom_text(status, "source") == [CATALOG] and _lom_text(status, "value"):
                out["status"] = _lom_text(status, "value")[0]
        for contribute in (c for c in life if c.tag == f"{{{LOM_NS}}}contribute"):
            if _lom_text(contribute, "role", "value") == ["author"]:
                for card in _lom_text(contribute, "entity"):
                    name = next((line[3:] for line in card.splitlines() if line.startswith("FN:")), None)
                    if name:
                        out["author"] = re.sub(r"\\(.)", r"\1", name.strip())
    sources = {"CEFR": "level", f"{CATALOG}:skill": "skill", f"{CATALOG}:topic": "topic",
               f"{CATALOG}:task-type": "task_type"}
    for cl in (c for c in rec if c.tag == f"{{{LOM_NS}}}classification"):
        for tp in (c for c in cl if c.tag == f"{{{LOM_NS}}}taxonPath"):
            key = sources.get(next(iter(_lom_text(tp, "source", "string")), ""))
            ids = _lom_text(tp, "taxon", "id")
            if key and ids and ids[0]:
                out[key] = ids[0]
    return out


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value


# -- items ------------------------------------------------------------------------------


def _responses(root: Element) -> dict[str, dict]:
    out = {}
    for rd in _children(root, "qti-response-declaration"):
        correct = [v.text or "" for cr in rd if local(cr.tag) == "qti-correct-response"
                   for v in cr if local(v.tag) == "qti-value"]
        mapping = None
        for m in rd:
            if local(m.tag) == "qti-mapping":
                mapping = {"attrs": dict(m.attrib),
                           "entries": [(e.get("map-key", ""), e.get("mapped-value", "0"),
                                        e.get("case-sensitive")) for e in m if local(e.tag) == "qti-map-entry"]}
        out[rd.get("identifier", "")] = {"cardinality": rd.get("cardinality"),
                                         "base_type": rd.get("base-type"), "correct": correct,
                                         "mapping": mapping}
    return out


def _stimulus_from_xml(root: Element, file: str, files: Mapping[str, bytes], assets: dict[str, bytes],
                       meta: Element | None) -> dict:
    body = _first(root, "qti-stimulus-body")
    if body is None:
        raise _refuse(file, "qti-stimulus-body", "stimulus without a body")
    stim: dict[str, Any] = {}
    title = next((c for c in body if local(c.tag) in ("h1", "h2", "h3")), None)
    if title is not None:
        stim["title"] = text_of_inline(title)
    media = next((c for c in body.iter() if local(c.tag) in ("audio", "img", "object")), None)
    if media is not None:
        src = media.get("src") or media.get("data")
        if not src:
            source = next((c for c in media if local(c.tag) == "source" and c.get("src")), None)
            src = source.get("src") if source is not None else None
        if not src:
            raise _refuse(file, local(media.tag), "media without a src")
        target = _resolve(file, src, files, file, local(media.tag))
        name = posixpath.basename(target)
        assets[name] = files[target]
        if local(media.tag) == "img":
            stim.update(kind="image", src=name, alt=media.get("alt", ""))
        else:
            stim.update(kind="audio", src=name)
            # Our record has the play limit; packages of before 2026-12 had it on the audio.
            plays = (meta.get("max-plays") if meta is not None else None) or media.get("data-max-plays")
            if plays and plays.isdigit():
                stim["max_plays"] = int(plays)
    else:
        div = next((c for c in body if local(c.tag) == "div" and c.get("class") == "tb-text"), None)
        blocks = div if div is not None else body
        stim["kind"] = "text"
        stim["text"] = text_of_blocks(blocks) if div is not None else "\n\n".join(
            text_of_inline(c) for c in body if local(c.tag) in ("p", "div") and c is not title)
    if meta is not None:
        transcript = _tb_text(meta, "transcript")
        if transcript is not None:
            stim["transcript"] = transcript
        script = _json(_tb_text(meta, "script"), file, "tb:script")
        if script is not None:
            stim["script"] = script
    return {"kind": stim.pop("kind"), **stim}


def _gap_text(block: Element, gap_of: dict[str, str]) -> str:
    out = [block.text or ""]
    for child in block:
        name = local(child.tag)
        if name == "br":
            out.append("\n")
        elif name == "qti-text-entry-interaction":
            out.append("{{" + gap_of[child.get("response-identifier", "")] + "}}")
        else:
            out.append(_gap_text(child, gap_of))
        out.append(child.tail or "")
    return "".join(out)


def _options(parent: Element, tag: str) -> list[dict]:
    return [{"id": decode_id(c.get("identifier", "")), "text": text_of_inline(c)}
            for c in parent if local(c.tag) == tag]


def _prompt(interaction: Element) -> str | None:
    p = next((c for c in interaction if local(c.tag) == "qti-prompt"), None)
    return None if p is None else text_of_inline(p)


def item_document(root: Element, file: str, meta: Element | None) -> dict:
    """The interaction part of an item document, read from its QTI."""
    if local(root.tag) != "qti-assessment-item":
        raise _refuse(file, local(root.tag), "not a qti-assessment-item")
    body = _first(root, "qti-item-body")
    if body is None:
        raise _refuse(file, "qti-item-body", "item without a body")
    interactions = [el for el in body.iter() if local(el.tag).endswith("-interaction")]
    for el in interactions:
        if local(el.tag) not in SUPPORTED_INTERACTIONS:
            raise _refuse(file, local(el.tag), "unsupported interaction")
    answerable = [el for el in interactions if local(el.tag) != "qti-media-interaction"]
    kinds = {local(el.tag) for el in answerable}
    if not answerable:
        raise _refuse(file, "qti-item-body", "no supported interaction")
    if len(kinds) > 1 or (len(answerable) > 1 and kinds != {"qti-text-entry-interaction"}):
        raise _refuse(file, local(answerable[1].tag), "items with more than one interaction are not supported (only several text entries)")
    responses = _responses(root)
    m = meta.attrib if meta is not None else {}
    kind = kinds.pop()
    first = answerable[0]
    rid = first.get("response-identifier", "")
    if kind != "qti-text-entry-interaction" and rid not in responses:
        raise _refuse(file, kind, f"response-identifier {rid!r} has no qti-response-declaration")
    resp = responses.get(rid, {})
    doc: dict[str, Any] = {}
    if kind == "qti-choice-interaction":
        single = first.get("max-choices", "1") == "1" and resp.get("cardinality") == "single"
        doc["type"] = "single_choice" if single else "multiple_response"
        doc["prompt"] = _prompt(first)
        doc["options"] = _options(first, "qti-simple-choice")
        doc["shuffle"] = first.get("shuffle", "false") == "true"
        if single:
            doc["key"] = decode_id(resp["correct"][0]) if resp.get("correct") else None
        else:
            doc["key"] = [decode_id(v) for v in resp.get("correct", [])]
            doc["scoring"] = m.get("scoring") or ("per_option" if resp.get("mapping") else "all_or_nothing")
    elif kind == "qti-order-interaction":
        doc.update(type="ordering", prompt=_prompt(first), options=_options(first, "qti-simple-choice"),
                   key=[decode_id(v) for v in resp.get("correct", [])],
                   scoring=m.get("scoring") or "all_or_nothing")
    elif kind == "qti-match-interaction":
        sets = _children(first, "qti-simple-match-set")
        if len(sets) != 2:
            raise _refuse(file, "qti-simple-match-set", "a match interaction needs exactly two match sets")
        key = {}
        for pair in resp.get("correct", []):
            parts = pair.split()
            if len(parts) != 2:
                raise _refuse(file, "qti-correct-response", f"not a directed pair: {pair!r}")
            key[decode_id(parts[0])] = decode_id(parts[1])
        doc.update(type="matching", prompt=_prompt(first),
                   sources=_options(sets[0], "qti-simple-associable-choice"),
                   targets=_options(sets[1], "qti-simple-associable-choice"), key=key,
                   scoring=m.get("scoring") or ("per_pair" if resp.get("mapping") else "all_or_nothing"),
                   shuffle=first.get("shuffle", "false") == "true")
    elif kind == "qti-text-entry-interaction":
        gap_of = {}
        gaps = []
        for el in answerable:
            r = el.get("response-identifier", "")
            if r not in responses:
                raise _refuse(file, kind, f"response-identifier {r!r} has no qti-response-declaration")
            gid = r[len("RESPONSE_"):] if r.startswith("RESPONSE_") and len(r) > 9 else r
            gap_of[r] = gid
            rr = responses[r]
            accepted = [e[0] for e in rr["mapping"]["entries"] if float(e[1] or 0) > 0] if rr.get("mapping") else []
            gaps.append({"id": gid, "accepted": accepted or list(rr.get("correct", []))})
        prompt_div = next((c for c in body if local(c.tag) == "div" and c.get("class") == "tb-prompt"), None)
        text_div = next((c for c in body if local(c.tag) == "div" and c.get("class") == "tb-gap-text"), None)
        if prompt_div is not None and text_div is not None:
            prompt = text_of_blocks(prompt_div)
            text = "\n\n".join(_gap_text(p, gap_of) for p in text_div if local(p.tag) == "p")
        else:
            blocks = [c for c in body if local(c.tag) in ("p", "div")]
            with_gaps = [b for b in blocks if any(local(x.tag) == "qti-text-entry-interaction" for x in b.iter())]
            prompt = "\n\n".join(text_of_inline(b) for b in blocks if b not in with_gaps)
            text = "\n\n".join(_gap_text(b, gap_of) for b in with_gaps)
        doc.update(type="text_entry", prompt=prompt, text=text, gaps=gaps,
                   scoring=m.get("scoring") or "per_gap")
        norm = _tb(meta, "normalisation") if meta is not None else None
        if norm is not None:
            doc["normalisation"] = {k: v == "true" for k, v in norm.attrib.items()}
        else:
            entries = [e for rr in responses.values() if rr.get("mapping") for e in rr["mapping"]["entries"]]
            doc["normalisation"] = {"case": not any(e[2] == "true" for e in entries)}
    elif kind == "qti-extended-text-interaction":
        doc.update(type="extended_text", prompt=_prompt(first),
                   min_words=int(m.get("min-words", 0)),
                   max_words=int(m.get("max-words", max(1, int(first.get("expected-length", "700")) // 7))),
                   rubric=m.get("rubric"), paste=m.get("paste"))
    elif kind == "qti-upload-interaction":
        if not (first.get("type", "").startswith("audio/") or first.get("class") == "tb-spoken-response"):
            raise _refuse(file, kind, "only audio uploads (spoken responses) are supported")
        doc.update(type="spoken_response", prompt=_prompt(first),
                   preparation_seconds=int(m.get("preparation-seconds", 30)),
                   response_seconds=int(m.get("response-seconds", 60)), rubric=m.get("rubric"),
                   retakes=int(m["retakes"]) if (m.get("retakes") or "").isdigit() else None)
    return {k: v for k, v in doc.items() if v is not None}


def _parameters(meta: Element | None, file: str) -> dict | None:
    pe = _tb(meta, "parameters")
    if pe is None:
        return None
    try:
        out: dict[str, Any] = {"model": pe.get("model"), "a": float(pe.get("a", "1"))}
        if pe.get("thresholds") is not None:
            out["thresholds"] = [float(x) for x in pe.get("thresholds").split()]
        if pe.get("b") is not None:
            out["b"] = float(pe.get("b"))
        if pe.get("c") is not None:
            out["c"] = float(pe.get("c"))
    except ValueError:
        raise _refuse(file, "tb:parameters", "parameters are not numbers") from None
    out["provenance"] = _json(_tb_text(pe, "provenance"), file, "tb:provenance")
    return out


def import_package(source, *, limits: Limits = Limits(), defaults: Mapping[str, Any] | None = None,
                   vocabulary: Vocabulary | None = None) -> ImportResult:
    """Read a QTI 3.0 package (path, bytes or file object) into bank documents.

    Raises :class:`QtiImportError` when the package is refused (unsafe, malformed,
    unsupported). ``defaults`` fills metadata a foreign package lacks (e.g. ``{"skill":
    "reading", "level": "A2", "status": "draft", ...}``). Validation problems of the resulting
    documents are returned in ``result.problems``.
    """
    files = read_zip(source, limits)
    if "imsmanifest.xml" not in files:
        raise _refuse("<package>", "imsmanifest.xml", "no imsmanifest.xml at the root")
    manifest = parse_xml(files["imsmanifest.xml"], "imsmanifest.xml", limits)
    defaults = dict(defaults or {})
    resources = {}
    for res in manifest.iter():
        if local(res.tag) == "resource":
            resources[res.get("identifier", "")] = res
    result = ImportResult()
    manifest_meta = next((c for c in manifest if local(c.tag) == "metadata"), None)
    rec = next((c for c in manifest_meta if c.tag == f"{{{LOM_NS}}}lom"), None) if manifest_meta is not None else None
    for ident in (c for g in (rec if rec is not None else ()) if local(g.tag) == "general"
                  for c in g if local(c.tag) == "identifier"):
        if _lom_text(ident, "catalog") == [BANK_VERSION_CATALOG] and _lom_text(ident, "entry"):
            result.bank_version = _lom_text(ident, "entry")[0]
    bank_res = resources.get(BANK_RESOURCE_ID)
    if bank_res is not None and bank_res.get("type") == BANK_RESOURCE:
        for f in (c for c in bank_res if local(c.tag) == "file"):
            href = _resolve("imsmanifest.xml", f.get("href", ""), files, "imsmanifest.xml", "file")
            rel = href[len("bank/"):] if href.startswith("bank/") else ""
            if not BANK_FILE.match(rel):
                raise _refuse("imsmanifest.xml", href, "refused bank file: only the vocabulary, test manifests, practice sets and exposure parameters")
            result.bank_files[rel] = files[href]

    def record(res: Element | None, kind: str) -> Element | None:
        """Our record (``tb:item``/``tb:stimulus``) of a resource: the extension metadata
        resource it depends on; packages of before 2026-12 had it inline."""
        if res is None:
            return None
        for dep in (c for c in res if local(c.tag) == "dependency"):
            ext = resources.get(dep.get("identifierref", ""))
            if ext is None or ext.get("type") != EXT_METADATA_RESOURCE:
                continue
            href = _resolve("imsmanifest.xml", ext.get("href", ""), files, "imsmanifest.xml", "resource")
            root = parse_xml(files[href], href, limits)
            found = _tb(root, kind)
            if found is not None:
                return found
        return _tb(res, kind)
    stimuli: dict[str, dict] = {}       # stimulus href -> {"doc", "assets", "testlet"}
    members: dict[str, list[tuple[int, dict, dict]]] = {}
    singles: list[tuple[dict, dict]] = []

    def load_stimulus(href: str, where: str) -> dict:
        if href in stimuli:
            return stimuli[href]
        sroot = parse_xml(files[href], href, limits)
        if local(sroot.tag) != "qti-assessment-stimulus":
            raise _refuse(href, local(sroot.tag), "not a qti-assessment-stimulus")
        res = next((r for r in resources.values()
                    if r.get("type") == STIMULUS_RESOURCE and r.get("href") == href), None)
        meta = record(res, "stimulus")
        assets: dict[str, bytes] = {}
        doc = _stimulus_from_xml(sroot, href, files, assets, meta)
        testlet_meta = _tb(meta, "testlet") if meta is not None else None
        stimuli[href] = {"doc": doc, "assets": assets, "testlet": testlet_meta}
        return stimuli[href]

    for res in resources.values():
        rtype = res.get("type", "")
        if rtype != ITEM_RESOURCE:
            continue
        href = _resolve("imsmanifest.xml", res.get("href", ""), files, "imsmanifest.xml", "resource")
        root = parse_xml(files[href], href, limits)
        meta = record(res, "item")
        doc = item_document(root, href, meta)
        ident = decode_id(root.get("identifier", ""))
        m = meta.attrib if meta is not None else {}
        testlet_id = m.get("testlet")
        own_assets: dict[str, bytes] = {}
        shared = None
        for ref in _children(root, "qti-assessment-stimulus-ref"):
            shref = _resolve(href, ref.get("href", ""), files, href, "qti-assessment-stimulus-ref")
            st = load_stimulus(shref, href)
            if testlet_id and decode_id(ref.get("identifier", "")) == testlet_id:
                shared = st
            elif "stimulus" not in doc:
                doc["stimulus"] = st["doc"]
                own_assets.update(st["assets"])
            else:
                raise _refuse(href, "qti-assessment-stimulus-ref", "more than one own stimulus")
        media = next((el for el in root.iter() if local(el.tag) == "qti-media-interaction"), None)
        if media is not None and "stimulus" not in doc:
            obj = next((c for c in media.iter() if local(c.tag) in ("audio", "object") and (c.get("src") or c.get("data"))), None)
            if obj is None:
                raise _refuse(href, "qti-media-interaction", "media interaction without audio")
            target = _resolve(href, obj.get("src") or obj.get("data"), files, href, "qti-media-interaction")
            name = posixpath.basename(target)
            own_assets[name] = files[target]
            doc["stimulus"] = {"kind": "audio", "src": name,
                               "max_plays": int(media.get("max-plays", "2") or 2)}
        for img in (el for el in root.iter() if local(el.tag) == "img"):
            if "stimulus" in doc:
                break
            target = _resolve(href, img.get("src", ""), files, href, "img")
            name = posixpath.basename(target)
            own_assets[name] = files[target]
            doc["stimulus"] = {"kind": "image", "src": name, "alt": img.get("alt", "")}
        params = _parameters(meta, href)
        item_doc = {"id": ident, **doc}
        if params is not None:
            item_doc["parameters"] = params
        if meta is not None:
            enemies = _tb_texts(meta, "enemy")
            if enemies:
                item_doc["enemies"] = enemies
            for name in ("notes", "feedback"):
                value = _tb_text(meta, name)
                if value is not None:
                    item_doc[name] = value
            per_criterion = _json(_tb_text(meta, "criterion-parameters"), href,
                                  "tb:criterion-parameters")
            if per_criterion is not None:
                item_doc["criterion_parameters"] = per_criterion
            rubric = _json(_tb_text(meta, "rubric"), href, "tb:rubric")
            if isinstance(rubric, dict) and rubric.get("id"):
                result.rubrics[rubric["id"]] = rubric
        if testlet_id:
            if shared is None:
                raise _refuse(href, "qti-assessment-stimulus-ref", f"testlet {testlet_id} has no shared stimulus")
            members.setdefault(testlet_id, []).append(
                (int(m.get("position", "0") or 0), item_doc, {"shared": shared, "assets": own_assets}))
        else:
            meta_fields = {k: v for k, v in _meta_fields(meta).items() if k not in ("enemies", "notes")}
            if meta is None:  # a foreign or stripped package: what its LOM says
                meta_fields = lom_fields(res)
            singles.append(({**defaults, **meta_fields, **item_doc}, own_assets))

    for doc, assets in singles:
        ordered = _order(doc)
        result.documents.append(ordered)
        if assets:
            result.assets[ordered["id"]] = assets
    for testlet_id, group in sorted(members.items()):
        group.sort(key=lambda g: g[0])
        shared = group[0][2]["shared"]
        tmeta = _meta_fields(shared["testlet"])
        tdoc = {"id": testlet_id, **defaults, **tmeta, "stimulus": shared["doc"],
                "items": [g[1] for g in group]}
        assets = dict(shared["assets"])
        for g in group:
            assets.update(g[2]["assets"])
        result.documents.append(_order(tdoc))
        if assets:
            result.assets[testlet_id] = assets
    vocab = vocabulary or Vocabulary.load(DEFAULT_VOCABULARY_PATH)
    rubric_criteria: dict[str, dict[str, int]] = {}
    for rid, r in result.rubrics.items():
        try:
            rubric_criteria[rid] = {str(c["id"]): max(lv["score"] for lv in c["levels"])
                                    for c in r["criteria"]}
        except (KeyError, TypeError, ValueError):
            result.problems.append(Problem(f"rubric {rid}", "criteria", "malformed rubric in metadata"))
    for doc in result.documents:
        _, _, probs = parse_document(doc, f"{doc.get('id', '?')}.yaml", vocab,
                                     rubric_criteria=rubric_criteria)
        result.problems.extend(probs)
    return result


_ORDER = ("id", "skill", "level", "topic", "task_type", "status", "author", "enemies", "notes",
          "stimulus", "type")


def _order(doc: dict) -> dict:
    out = {k: doc[k] for k in _ORDER if k in doc}
    out.update({k: v for k, v in doc.items() if k not in out})
    return out


class _BankDumper(yaml.SafeDumper):
    """Multi-line texts as literal blocks (``|``), as item writers write them."""


def _str_presenter(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BankDumper.add_representer(str, _str_presenter)


def dump_yaml(doc: Any) -> str:
    return yaml.dump(doc, Dumper=_BankDumper, allow_unicode=True, sort_keys=False, width=100)


def write_documents(result: ImportResult, output: str | os.PathLike) -> int:
    """Write imported documents as bank files under ``output`` (items/, rubrics/, assets beside).
    Refuses when the import had validation problems."""
    if result.problems:
        raise ItemValidationError(result.problems)
    root = Path(output)
    n = 0
    for doc in result.documents:
        folder = root / "items" / str(doc["skill"]) / str(doc["level"]).lower()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{doc['id']}.yaml").write_text(dump_yaml(doc), encoding="utf-8")
        for name, data in result.assets.get(doc["id"], {}).items():
            (folder / name).write_bytes(data)
        n += 1
    if result.rubrics:
        (root / "rubrics").mkdir(parents=True, exist_ok=True)
        for rid, r in result.rubrics.items():
            (root / "rubrics" / f"{rid}.yaml").write_text(dump_yaml(r), encoding="utf-8")
    for rel, data in result.bank_files.items():  # names checked on import (BANK_FILE)
        if not BANK_FILE.match(rel):
            raise ValueError(f"refused bank file {rel!r}")
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return n
