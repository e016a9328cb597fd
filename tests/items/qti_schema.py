"""The rules of the 1EdTech QTI 3.0 schemas that our export relies on, in our own words.

No package on a registry ships the QTI 3.0 XSDs (searched 2026-12 on PyPI: citolab-qti-convert,
incept-qti-sdk, qti-package-maker, tracklms-to-qti-results, citolab-qti-json-schema-models;
npm: @citolab/qti-components, @citolab/qti-convert: none contains an .xsd), and the schema
files may not be copied into this repository. So these rules restate, for the elements and
attributes the export writes, what the XSDs say (ASI ``imsqti_asiv3p0_v1p0.xsd``, content
package ``imsqtiv3p0_imscpv1p2_v1p0.xsd``, ``imsqti_metadatav3p0_v1p0.xsd`` and LOM
``imsmd_loose_v1p3p2.xsd``). Anything the export writes that no rule here knows is a problem:
a new element or attribute needs its rule read from the schema first.

A  the content package (manifest)
A1 ``manifest`` (namespace ``…/qtiv3p0/imscp_v1p1``) has an ``identifier`` (xs:ID) and exactly
   the children metadata, organizations, resources, in that order; no ``version`` attribute.
A2 the manifest ``metadata`` holds ``schema`` (one of QTI Package, QTI Test Bank, QTI Item Bank,
   QTI Object Bank, QTI Test, QTI Section, QTI Item), ``schemaversion`` 3.0.0, then optionally
   ``curriculumStandardsMetadataSet`` and ``lom`` (LOM namespace); nothing else.
A3 a ``resource`` has ``identifier`` (xs:ID, unique in the manifest), ``type`` from the profile's
   list and an optional ``href``; its children are metadata?, file+, dependency*, in that order.
A4 a resource's ``metadata`` holds only qtiMetadata?, curriculumStandardsMetadataSet?, lom?, in
   that order (namespaced: QTI metadata, curriculum standards, LOM).
A5 ``file`` has an ``href`` and no children but metadata; ``dependency`` has an
   ``identifierref`` (xs:IDREF) naming a resource of the manifest, and no children.
A6 ``qtiMetadata``: children in the order itemTemplate?, timeDependent?, composite?,
   interactionType*, portableCustomInteractionContext?, feedbackType?, solutionAvailable?,
   scoringMode*, toolName?, toolVersion?, toolVendor?; the flags are xs:boolean;
   interactionType, feedbackType and scoringMode from their enumerations.
A7 ``lom``: children from the nine LOM categories; a LangString holds only ``string`` elements
   whose ``language`` is an xs:language; identifier, lifeCycle, classification as LOM has them.

B  items and stimuli (ASI)
B1 an item is ``qti-assessment-item`` (namespace ``imsqtiasi_v3p0``) with ``identifier``
   (NCName), ``title`` (normalizedString) and ``time-dependent`` (xs:boolean) required;
   children in the order response declarations, outcome declarations, stimulus refs, item body,
   response processing.
B2 a stimulus is ``qti-assessment-stimulus`` with ``identifier`` and ``title``, and exactly one
   child ``qti-stimulus-body``.
B3 a response or outcome declaration has ``identifier`` (NCName), ``cardinality`` (single,
   multiple, ordered, record) and ``base-type`` (the QTI base types); a response declaration's
   children are qti-correct-response?, qti-mapping? in that order; an outcome declaration's
   qti-default-value?; each holds only ``qti-value``.
B4 ``qti-mapping``: default-value, lower-bound and upper-bound are xs:double; it holds only
   ``qti-map-entry`` with ``map-key`` (required), ``mapped-value`` (xs:double, required) and
   ``case-sensitive`` (xs:boolean).
B5 every attribute the schema types as xs:boolean (time-dependent, adaptive, shuffle, controls,
   case-sensitive, autoplay, loop, muted) is true, false, 1 or 0: never HTML's
   ``controls="controls"``; integers (max-choices, min-choices, match-max, max-associations,
   expected-length, n) are non-negative integers.
B6 interactions: a ``response-identifier`` (NCName); choice and order interactions hold
   qti-prompt? then qti-simple-choice+ (each with an NCName ``identifier``); a match
   interaction qti-prompt? then exactly two qti-simple-match-set of
   qti-simple-associable-choice (``identifier`` and ``match-max`` required); extended text:
   ``format`` plain, preformatted or xhtml; upload: ``type`` a MIME type; a text-entry
   interaction is inline: inside ``p`` (never a direct child of a body or ``div``).
B7 HTML: ``audio`` allows only src, crossorigin, preload, autoplay, mediagroup, loop, muted,
   controls (and the global attributes id, class, xml:lang, label, title, dir); ``data-*``
   attributes are not in the schema; ``img`` needs ``src`` and ``alt``; ``p`` and ``h2`` hold
   only inline content (no ``p``, ``div``, ``ul``); ``ul`` holds only ``li``; ``br`` is empty.
B8 response processing: either a ``template`` (anyURI) and no children, or rules only
   (qti-response-condition, qti-set-outcome-value); a condition is qti-response-if, then
   qti-response-else-if*, then qti-response-else?; an if or else-if branch holds one expression
   then rules; ``qti-set-outcome-value`` names an ``identifier`` and holds one expression;
   ``qti-pattern-match`` has a ``pattern`` and one expression; ``qti-index`` an ``n``;
   ``qti-equal`` a tolerance-mode of exact, absolute or relative; ``qti-base-value`` a
   ``base-type``; ``qti-variable``, ``qti-map-response`` and ``qti-correct`` an identifier and
   no children; ``qti-sum`` and ``qti-and`` one or more expressions.
B9 ``qti-rubric-block`` has a ``view`` (author, candidate, proctor, scorer, testConstructor,
   tutor) and holds one ``qti-content-body``.
"""

from __future__ import annotations

import re

import defusedxml.ElementTree as DET

from toetsbatterij.items.qti.common import CP_NS, LOM_NS, QMD_NS, QTI_NS

XML_NS = "http://www.w3.org/XML/1998/namespace"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
CSMD_NS = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscsmd_v1p1"

NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
LANGUAGE = re.compile(r"^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$")
BOOLEAN = {"true", "false", "1", "0"}
NON_NEGATIVE = re.compile(r"^\+?[0-9]+$")
DOUBLE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^(INF|-INF|NaN)$")
MIME = re.compile(r"^[a-z]+/[A-Za-z0-9.+-]+$")

SCHEMAS = {"QTI Package", "QTI Test Bank", "QTI Item Bank", "QTI Object Bank", "QTI Test",
           "QTI Section", "QTI Item"}
RESOURCE_TYPES = {
    "imsqti_test_xmlv3p0", "imsqti_section_xmlv3p0", "imsqti_item_xmlv3p0",
    "imsqti_resprocessing_xmlv3p0", "imsqti_outcomes_xmlv3p0", "imsqti_stimulus_xmlv3p0",
    "imsqti_fragment_xmlv3p0", "imsqti_rptemplate_xmlv3p0",
    "associatedcontent/learning-application-resource", "webcontent", "imsbasiclti_xmlv1p3",
    "controlfile", "resourcemetadata/xml", "resourceextmetadata/xml", "qtiusagedata/xml", "pls",
    "css2", "css3", "extension"}
QMD_ORDER = ["itemTemplate", "timeDependent", "composite", "interactionType",
             "portableCustomInteractionContext", "feedbackType", "solutionAvailable",
             "scoringMode", "toolName", "toolVersion", "toolVendor"]
QMD_REPEATABLE = {"interactionType", "scoringMode"}
INTERACTION_TYPES = {
    "associateInteraction", "choiceInteraction", "customInteraction", "drawingInteraction",
    "endAttemptInteraction", "extendedTextInteraction", "gapMatchInteraction",
    "graphicAssociateInteraction", "graphicGapMatchInteraction", "graphicOrderInteraction",
    "hotspotInteraction", "hottextInteraction", "inlineChoiceInteraction", "matchInteraction",
    "mediaInteraction", "orderInteraction", "portableCustomInteraction",
    "positionObjectInteraction", "selectPointInteraction", "sliderInteraction",
    "textEntryInteraction", "uploadInteraction"}
LOM_CATEGORIES = {"general", "lifeCycle", "metaMetadata", "technical", "educational", "rights",
                  "relation", "annotation", "classification"}
LOM_LANGSTRINGS = {"title", "description", "keyword", "coverage", "version", "source", "entry"}

CARDINALITIES = {"single", "multiple", "ordered", "record"}
BASE_TYPES = {"boolean", "directedPair", "duration", "file", "float", "identifier", "integer",
              "pair", "point", "string", "uri", "intOrIdentifier"}
ITEM_ORDER = ["qti-response-declaration", "qti-outcome-declaration", "qti-assessment-stimulus-ref",
              "qti-item-body", "qti-response-processing"]
BOOLEAN_ATTRS = {"time-dependent", "adaptive", "shuffle", "controls", "case-sensitive", "autoplay",
                 "loop", "muted"}
INTEGER_ATTRS = {"max-choices", "min-choices", "match-max", "max-associations", "expected-length", "n"}
GLOBAL_HTML = {"id", "class", f"{{{XML_NS}}}lang", "label", "title", "dir"}
AUDIO_ATTRS = {"src", "crossorigin", "preload", "autoplay", "mediagroup", "loop", "muted", "controls"}
INLINE_ONLY = {"p", "h2", "h3", "span", "qti-prompt", "qti-simple-choice",
               "qti-simple-associable-choice", "li"}
BLOCKS = {"p", "div", "ul", "ol", "h2", "h3", "qti-choice-interaction", "qti-order-interaction",
          "qti-match-interaction", "qti-extended-text-interaction", "qti-upload-interaction"}
RULE_ELEMENTS = {"qti-response-condition", "qti-set-outcome-value"}
EXPRESSIONS = {"qti-base-value", "qti-variable", "qti-correct", "qti-sum", "qti-and",
               "qti-pattern-match", "qti-match", "qti-equal", "qti-index", "qti-map-response"}
VIEWS = {"author", "candidate", "proctor", "scorer", "testConstructor", "tutor"}

# The attributes the schema allows on each element we write (beyond xmlns and
# xsi:schemaLocation); an attribute not listed is a problem (rule B7 and the others).
ATTRIBUTES = {
    "qti-assessment-item": {"identifier", "title", "label", f"{{{XML_NS}}}lang", "tool-name",
                            "tool-version", "adaptive", "time-dependent"},
    "qti-assessment-stimulus": {"identifier", "title", "label", f"{{{XML_NS}}}lang", "tool-name",
                                "tool-version"},
    "qti-response-declaration": {"identifier", "cardinality", "base-type"},
    "qti-outcome-declaration": {"identifier", "cardinality", "base-type", "view", "interpretation",
                                "long-interpretation", "normal-maximum", "normal-minimum",
                                "mastery-value", "external-scored", "variable-identifier-ref"},
    "qti-correct-response": {"interpretation"}, "qti-default-value": {"interpretation"},
    "qti-value": {"field-identifier", "base-type"},
    "qti-mapping": {"default-value", "lower-bound", "upper-bound"},
    "qti-map-entry": {"map-key", "mapped-value", "case-sensitive"},
    "qti-assessment-stimulus-ref": {"identifier", "href", "title"},
    "qti-item-body": set(), "qti-stimulus-body": set(), "qti-content-body": set(),
    "qti-choice-interaction": {"response-identifier", "shuffle", "max-choices", "min-choices",
                               "orientation", "min-selections-message", "max-selections-message"},
    "qti-order-interaction": {"response-identifier", "shuffle", "max-choices", "min-choices",
                              "orientation"},
    "qti-match-interaction": {"response-identifier", "shuffle", "max-associations",
                              "min-associations"},
    "qti-simple-match-set": set(),
    "qti-simple-choice": {"identifier", "fixed", "template-identifier", "show-hide"},
    "qti-simple-associable-choice": {"identifier", "fixed", "template-identifier", "show-hide",
                                     "match-group", "match-max", "match-min"},
    "qti-text-entry-interaction": {"response-identifier", "base", "string-identifier",
                                   "expected-length", "pattern-mask", "placeholder-text", "format"},
    "qti-extended-text-interaction": {"response-identifier", "base", "string-identifier",
                                      "expected-length", "pattern-mask", "placeholder-text",
                                      "max-strings", "min-strings", "expected-lines", "format"},
    "qti-upload-interaction": {"response-identifier", "type"},
    "qti-prompt": set(),
    "qti-rubric-block": {"view", "use"},
    "qti-response-processing": {"template", "template-location"},
    "qti-response-condition": set(), "qti-response-if": set(), "qti-response-else-if": set(),
    "qti-response-else": set(),
    "qti-set-outcome-value": {"identifier"},
    "qti-base-value": {"base-type"}, "qti-variable": {"identifier", "weight-identifier"},
    "qti-correct": {"identifier"}, "qti-map-response": {"identifier"},
    "qti-sum": set(), "qti-and": set(), "qti-match": set(),
    "qti-pattern-match": {"pattern"}, "qti-index": {"n"},
    "qti-equal": {"tolerance-mode", "tolerance", "include-lower-bound", "include-upper-bound"},
    "audio": AUDIO_ATTRS, "img": {"src", "alt", "longdesc", "height", "width"},
    "p": set(), "div": set(), "h2": set(), "h3": set(), "ul": set(), "li": set(), "br": set(),
    "span": set(),
}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _ns(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


class _Report:
    def __init__(self):
        self.problems: list[str] = []

    def add(self, file: str, rule: str, where: str, message: str) -> None:
        self.problems.append(f"{file}: {rule}: {where}: {message}")


def _ordered(report, file, rule, parent, order, where, *, repeatable=None, required=()):
    names = [_local(c.tag) for c in parent]
    for name in names:
        if name not in order:
            report.add(file, rule, where, f"{name} is not allowed here")
            return
    idx = [order.index(n) for n in names]
    if idx != sorted(idx):
        report.add(file, rule, where, f"children out of order: {names}")
    for name in set(names):
        if repeatable is not None and name not in repeatable and names.count(name) > 1:
            report.add(file, rule, where, f"{name} more than once")
    for name in required:
        if name not in names:
            report.add(file, rule, where, f"{name} is required")


# -- A: the manifest --------------------------------------------------------------------


def _lom(report, file, rec, where):
    for cat in rec:
        if _ns(cat.tag) != LOM_NS or _local(cat.tag) not in LOM_CATEGORIES:
            report.add(file, "A7", where, f"{cat.tag} is not a LOM category")
    for el in rec.iter():
        if el is not rec and _ns(el.tag) != LOM_NS:
            report.add(file, "A7", where, f"{el.tag} is not LOM")
        if _local(el.tag) in LOM_LANGSTRINGS and _local(el.tag) != "source" or (
                _local(el.tag) == "source" and any(_local(c.tag) == "string" for c in el)):
            if _local(el.tag) == "entry" and not len(el):
                continue  # identifier/entry and taxon/id are CharacterStrings
            for s in el:
                if _local(s.tag) != "string":
                    report.add(file, "A7", where, f"a LangString holds {_local(s.tag)}")
                elif not LANGUAGE.match(s.get("language", "")):
                    report.add(file, "A7", where, f"string language {s.get('language')!r} is not an xs:language")
            if el.text and el.text.strip():
                report.add(file, "A7", where, f"a LangString {_local(el.tag)} has text outside string")


def _qti_metadata(report, file, md, where):
    _ordered(report, file, "A6", md, QMD_ORDER, where, repeatable=QMD_REPEATABLE)
    for el in md:
        name, text = _local(el.tag), (el.text or "").strip()
        if _ns(el.tag) != QMD_NS:
            report.add(file, "A6", where, f"{el.tag} is not QTI metadata")
        if name in ("itemTemplate", "timeDependent", "composite", "solutionAvailable") and text not in BOOLEAN:
            report.add(file, "A6", where, f"{name} {text!r} is not an xs:boolean")
        if name == "interactionType" and text not in INTERACTION_TYPES:
            report.add(file, "A6", where, f"interactionType {text!r}")
        if name == "feedbackType" and text not in {"adaptive", "nonadaptive", "none"}:
            report.add(file, "A6", where, f"feedbackType {text!r}")
        if name == "scoringMode" and text not in {"human", "externalmachine", "responseprocessing"}:
            report.add(file, "A6", where, f"scoringMode {text!r}")


def check_manifest(data: bytes, files) -> list[str]:
    r = _Report()
    f = "imsmanifest.xml"
    m = DET.fromstring(data)
    if m.tag != f"{{{CP_NS}}}manifest":
        r.add(f, "A1", "manifest", f"root is {m.tag}")
        return r.problems
    if not NCNAME.match(m.get("identifier", "")):
        r.add(f, "A1", "manifest", "identifier is not an xs:ID")
    if set(m.attrib) - {"identifier", f"{{{XML_NS}}}base", f"{{{XSI_NS}}}schemaLocation"}:
        r.add(f, "A1", "manifest", f"attributes {sorted(set(m.attrib))}")
    if [c.tag for c in m] != [f"{{{CP_NS}}}{n}" for n in ("metadata", "organizations", "resources")]:
        r.add(f, "A1", "manifest", f"children {[c.tag for c in m]}")
        return r.problems
    md, orgs, resources = list(m)
    names = [(c.tag if _ns(c.tag) not in (CP_NS, LOM_NS, CSMD_NS) else _local(c.tag)) for c in md]
    ok = ["schema", "schemaversion", "curriculumStandardsMetadataSet", "lom"]
    if names[:2] != ["schema", "schemaversion"] or any(n not in ok for n in names) or \
            [ok.index(n) for n in names] != sorted(ok.index(n) for n in names) or len(set(names)) != len(names):
        r.add(f, "A2", "manifest/metadata", f"children {names}")
    else:
        if (md[0].text or "") not in SCHEMAS:
            r.add(f, "A2", "metadata/schema", repr(md[0].text))
        if (md[1].text or "") != "3.0.0":
            r.add(f, "A2", "metadata/schemaversion", repr(md[1].text))
        for c in md[2:]:
            if _local(c.tag) == "lom":
                if _ns(c.tag) != LOM_NS:
                    r.add(f, "A2", "metadata/lom", "not in the LOM namespace")
                _lom(r, f, c, "manifest/metadata/lom")
    if len(orgs):
        r.add(f, "A1", "organizations", "must be empty in the QTI 3 profile")
    ids = {}
    for res in resources:
        if res.tag != f"{{{CP_NS}}}resource":
            r.add(f, "A3", "resources", f"{res.tag} is not a resource")
            continue
        rid = res.get("identifier", "")
        where = f"resource {rid}"
        if not NCNAME.match(rid):
            r.add(f, "A3", where, "identifier is not an xs:ID")
        if rid in ids:
            r.add(f, "A3", where, "identifier is not unique")
        ids[rid] = res
        if res.get("type") not in RESOURCE_TYPES:
            r.add(f, "A3", where, f"type {res.get('type')!r} is not in the profile")
        if set(res.attrib) - {"identifier", "type", "href", f"{{{XML_NS}}}base"}:
            r.add(f, "A3", where, f"attributes {sorted(res.attrib)}")
        if any(_ns(c.tag) != CP_NS for c in res):
            r.add(f, "A3", where, "a child outside the content-package namespace")
        _ordered(r, f, "A3", res, ["metadata", "file", "dependency"], where,
                 repeatable={"file", "dependency"}, required=("file",))
        for meta in (c for c in res if _local(c.tag) == "metadata"):
            kids = [(_ns(c.tag), _local(c.tag)) for c in meta]
            allowed = [(QMD_NS, "qtiMetadata"), (CSMD_NS, "curriculumStandardsMetadataSet"),
                       (LOM_NS, "lom")]
            if any(k not in allowed for k in kids) or len(set(kids)) != len(kids) or \
                    [allowed.index(k) for k in kids] != sorted(allowed.index(k) for k in kids):
                r.add(f, "A4", where, f"metadata holds {[c.tag for c in meta]}")
                continue
            for c in meta:
                if _local(c.tag) == "qtiMetadata":
                    _qti_metadata(r, f, c, where)
                elif _local(c.tag) == "lom":
                    _lom(r, f, c, where)
        for fe in (c for c in res if _local(c.tag) == "file"):
            if not fe.get("href") or set(fe.attrib) != {"href"} or any(_local(c.tag) != "metadata" for c in fe):
                r.add(f, "A5", where, "file needs exactly an href")
            elif fe.get("href") not in files:
                r.add(f, "A5", where, f"file {fe.get('href')} is not in the package")
    for res in ids.values():
        for dep in (c for c in res if _local(c.tag) == "dependency"):
            if set(dep.attrib) != {"identifierref"} or len(dep):
                r.add(f, "A5", f"resource {res.get('identifier')}", "dependency needs exactly an identifierref")
            elif dep.get("identifierref") not in ids:
                r.add(f, "A5", f"resource {res.get('identifier')}", f"identifierref {dep.get('identifierref')} names no resource")
    return r.problems


# -- B: items and stimuli -----------------------------------------------------------------


def _attributes(r, file, el):
    name = _local(el.tag)
    if _ns(el.tag) != QTI_NS:
        r.add(file, "B7", name, f"element {el.tag} outside the QTI namespace")
        return
    if name not in ATTRIBUTES:
        r.add(file, "B7", name, "an element no rule knows")
        return
    allowed = ATTRIBUTES[name] | (GLOBAL_HTML if name in ("audio", "img", "p", "div", "h2", "h3",
                                                           "ul", "li", "span", "br") else set())
    allowed |= {"class", "id"} if name.startswith("qti-") and name not in ("qti-base-value", "qti-variable") else set()
    for attr, value in el.attrib.items():
        if attr == f"{{{XSI_NS}}}schemaLocation" and name in ("qti-assessment-item", "qti-assessment-stimulus"):
            continue
        if attr not in allowed:
            r.add(file, "B7", name, f"attribute {attr} is not in the schema")
        if attr in BOOLEAN_ATTRS and value not in BOOLEAN:
            r.add(file, "B5", name, f"{attr}={value!r} is not an xs:boolean")
        if attr in INTEGER_ATTRS and not NON_NEGATIVE.match(value):
            r.add(file, "B5", name, f"{attr}={value!r} is not a non-negative integer")
        if attr in ("identifier", "response-identifier") and not NCNAME.match(value):
            r.add(file, "B3", name, f"{attr} {value!r} is not an NCName")
        if attr in ("default-value", "lower-bound", "upper-bound", "mapped-value") and not DOUBLE.match(value):
            r.add(file, "B4", name, f"{attr}={value!r} is not an xs:double")


def _expression(r, file, el, where):
    name = _local(el.tag)
    kids = list(el)
    if name not in EXPRESSIONS:
        r.add(file, "B8", where, f"{name} is not an expression")
        return
    if name in ("qti-variable", "qti-map-response", "qti-correct"):
        if not el.get("identifier") or kids:
            r.add(file, "B8", name, "needs an identifier and no children")
    elif name == "qti-base-value":
        if el.get("base-type") not in BASE_TYPES or kids:
            r.add(file, "B8", name, "needs a base-type and no children")
    elif name in ("qti-sum", "qti-and"):
        if not kids:
            r.add(file, "B8", name, "needs one or more expressions")
    elif name == "qti-pattern-match":
        if el.get("pattern") is None or len(kids) != 1:
            r.add(file, "B8", name, "needs a pattern and one expression")
    elif name == "qti-index":
        if el.get("n") is None or len(kids) != 1:
            r.add(file, "B8", name, "needs n and one expression")
    elif name in ("qti-match", "qti-equal"):
        if len(kids) != 2:
            r.add(file, "B8", name, "needs two expressions")
        if name == "qti-equal" and el.get("tolerance-mode", "exact") not in ("exact", "absolute", "relative"):
            r.add(file, "B8", name, "tolerance-mode")
    for k in kids:
        _expression(r, file, k, name)


def _rules(r, file, rules, where):
    for rule in rules:
        name = _local(rule.tag)
        if name == "qti-set-outcome-value":
            if not rule.get("identifier") or len(rule) != 1:
                r.add(file, "B8", name, "needs an identifier and one expression")
            for k in rule:
                _expression(r, file, k, name)
        elif name == "qti-response-condition":
            branches = [_local(b.tag) for b in rule]
            ok = (branches and branches[0] == "qti-response-if"
                  and all(b == "qti-response-else-if" for b in branches[1:-1] or ())
                  and branches[-1] in ("qti-response-if", "qti-response-else-if", "qti-response-else")
                  and "qti-response-if" not in branches[1:] and "qti-response-else" not in branches[:-1])
            if not ok:
                r.add(file, "B8", name, f"branches {branches}")
            for b in rule:
                body = list(b)
                if _local(b.tag) != "qti-response-else":
                    if not body:
                        r.add(file, "B8", _local(b.tag), "needs a condition")
                        continue
                    _expression(r, file, body[0], _local(b.tag))
                    body = body[1:]
                _rules(r, file, body, _local(b.tag))
        else:
            r.add(file, "B8", where, f"{name} is not a response rule")


def _body(r, file, body):
    parents = {c: p for p in body.iter() for c in p}
    for el in body.iter():
        name = _local(el.tag)
        parent = _local(parents[el].tag) if el in parents else None
        if name in BLOCKS and parent in INLINE_ONLY:
            r.add(file, "B7", name, f"a block inside {parent}")
        if name == "ul" and any(_local(c.tag) != "li" for c in el):
            r.add(file, "B7", "ul", "holds other than li")
        if name == "br" and (len(el) or (el.text or "")):
            r.add(file, "B7", "br", "is not empty")
        if name == "img" and not (el.get("src") and el.get("alt") is not None):
            r.add(file, "B7", "img", "needs src and alt")
        if name == "qti-text-entry-interaction" and parent != "p":
            r.add(file, "B6", name, f"inline interaction inside {parent}")
        if name in ("qti-choice-interaction", "qti-order-interaction"):
            kids = [_local(c.tag) for c in el]
            if kids.count("qti-prompt") > 1 or ("qti-prompt" in kids and kids[0] != "qti-prompt") or \
                    not any(k == "qti-simple-choice" for k in kids) or \
                    any(k not in ("qti-prompt", "qti-simple-choice") for k in kids):
                r.add(file, "B6", name, f"children {kids}")
        if name == "qti-match-interaction":
            kids = [_local(c.tag) for c in el]
            if [k for k in kids if k != "qti-prompt"] != ["qti-simple-match-set"] * 2 or \
                    ("qti-prompt" in kids and kids[0] != "qti-prompt"):
                r.add(file, "B6", name, f"children {kids}")
        if name == "qti-simple-match-set" and any(_local(c.tag) != "qti-simple-associable-choice" for c in el):
            r.add(file, "B6", name, "holds other than qti-simple-associable-choice")
        if name == "qti-simple-associable-choice" and not (el.get("identifier") and el.get("match-max")):
            r.add(file, "B6", name, "needs identifier and match-max")
        if name.endswith("-interaction") and not el.get("response-identifier"):
            r.add(file, "B6", name, "needs a response-identifier")
        if name == "qti-extended-text-interaction" and el.get("format", "plain") not in ("plain", "preformatted", "xhtml"):
            r.add(file, "B6", name, "format")
        if name == "qti-upload-interaction" and el.get("type") and not MIME.match(el.get("type")):
            r.add(file, "B6", name, "type is not a MIME type")
        if name == "qti-rubric-block" and (el.get("view") not in VIEWS
                                           or [_local(c.tag) for c in el] != ["qti-content-body"]):
            r.add(file, "B9", name, "needs a view and one qti-content-body")


def check_document(name: str, data: bytes) -> list[str]:
    r = _Report()
    root = DET.fromstring(data)
    for el in root.iter():
        _attributes(r, name, el)
    kind = _local(root.tag)
    if kind == "qti-assessment-stimulus":
        if not (root.get("identifier") and root.get("title")):
            r.add(name, "B2", kind, "needs identifier and title")
        if [_local(c.tag) for c in root] != ["qti-stimulus-body"]:
            r.add(name, "B2", kind, f"children {[_local(c.tag) for c in root]}")
        for body in root:
            _body(r, name, body)
        return r.problems
    if kind != "qti-assessment-item":
        r.add(name, "B1", kind, "not an item or stimulus")
        return r.problems
    if not (NCNAME.match(root.get("identifier", "")) and root.get("title") is not None
            and root.get("time-dependent") is not None):
        r.add(name, "B1", kind, "needs identifier, title and time-dependent")
    if re.search(r"[\t\n\r]", root.get("title", "")):
        r.add(name, "B1", kind, "title is not a normalizedString")
    _ordered(r, name, "B1", root, ITEM_ORDER, kind,
             repeatable={"qti-response-declaration", "qti-outcome-declaration", "qti-assessment-stimulus-ref"})
    for decl in root:
        dname = _local(decl.tag)
        if dname in ("qti-response-declaration", "qti-outcome-declaration"):
            if decl.get("cardinality") not in CARDINALITIES or decl.get("base-type") not in BASE_TYPES:
                r.add(name, "B3", dname, "cardinality or base-type")
            order = ["qti-correct-response", "qti-mapping"] if dname == "qti-response-declaration" \
                else ["qti-default-value"]
            _ordered(r, name, "B3", decl, order, dname)
            for holder in decl:
                if _local(holder.tag) == "qti-mapping":
                    if any(_local(e.tag) != "qti-map-entry" or e.get("map-key") is None
                           or e.get("mapped-value") is None for e in holder):
                        r.add(name, "B4", "qti-mapping", "holds other than complete qti-map-entry")
                elif any(_local(v.tag) != "qti-value" for v in holder):
                    r.add(name, "B3", _local(holder.tag), "holds other than qti-value")
        elif dname == "qti-assessment-stimulus-ref":
            if not (decl.get("identifier") and decl.get("href")):
                r.add(name, "B1", dname, "needs identifier and href")
        elif dname == "qti-item-body":
            _body(r, name, decl)
        elif dname == "qti-response-processing":
            if decl.get("template") is not None:
                if len(decl):
                    r.add(name, "B8", dname, "a template and rules")
            else:
                _rules(r, name, list(decl), dname)
    return r.problems


def package_problems(files: dict[str, bytes]) -> list[str]:
    """Every schema rule broken anywhere in the package (empty: the package follows them)."""
    problems = check_manifest(files["imsmanifest.xml"], files)
    for name, data in sorted(files.items()):
        if name.startswith(("items/", "stimuli/")):
            problems += check_document(name, data)
    return problems
