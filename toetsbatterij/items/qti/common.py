"""Names and small conversions shared by the QTI 3.0 export and import."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 - used to build XML only; parsing uses defusedxml

QTI_NS = "http://www.imsglobal.org/xsd/imsqtiasi_v3p0"
CP_NS = "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"
TB_NS = "urn:toetsbatterij:qti-metadata:1"
LOM_NS = "http://ltsc.ieee.org/xsd/LOM"
QMD_NS = "http://www.imsglobal.org/xsd/imsqti_metadata_v3p0"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
QTI_SCHEMA = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd"
CP_SCHEMA = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqtiv3p0_imscpv1p2_v1p0.xsd"
LOM_SCHEMA = "https://purl.imsglobal.org/spec/md/v1p3/schema/xsd/imsmd_loose_v1p3p2.xsd"
QMD_SCHEMA = "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_metadatav3p0_v1p0.xsd"

ITEM_RESOURCE = "imsqti_item_xmlv3p0"
STIMULUS_RESOURCE = "imsqti_stimulus_xmlv3p0"
WEB_RESOURCE = "webcontent"
#: Our own, lossless metadata of one item or stimulus: an XML file of its own (namespace
#: ``TB_NS``), a resource the item or stimulus resource depends on.
EXT_METADATA_RESOURCE = "resourceextmetadata/xml"
#: The bank's own files that are not items (test manifests, vocabulary).
BANK_RESOURCE = "extension"
BANK_RESOURCE_ID = "RES-TOETSBATTERIJ-BANK"
#: The bank files a package may carry (relative to the bank root, under ``bank/``).
BANK_FILE = re.compile(r"^(vocabulary\.yaml|(tests|exposure)/[A-Za-z0-9][A-Za-z0-9_.-]*\.yaml"
                       r"|practice/[A-Za-z0-9][A-Za-z0-9_.-]*\.(yaml|ogg|png|jpg|jpeg))$")
#: LOM catalog and vocabulary source of our identifiers and values.
CATALOG = "toetsbatterij"
BANK_VERSION_CATALOG = "toetsbatterij:bank-version"

MATCH_CORRECT = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml"
MAP_RESPONSE = "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/map_response.xml"

#: The interactions the import understands; any other ``qti-*-interaction`` is refused.
SUPPORTED_INTERACTIONS = {
    "qti-choice-interaction", "qti-text-entry-interaction", "qti-extended-text-interaction",
    "qti-order-interaction", "qti-match-interaction", "qti-media-interaction",
    "qti-upload-interaction",
}

ET.register_namespace("tb", TB_NS)
ET.register_namespace("lom", LOM_NS)
ET.register_namespace("qmd", QMD_NS)
ET.register_namespace("xsi", XSI_NS)


def q(tag: str) -> str:
    """A QTI element name for building: unqualified, the root carries ``xmlns`` (ElementTree
    cannot write a default namespace together with unqualified attributes)."""
    return tag


def tb(tag: str) -> str:
    return f"{{{TB_NS}}}{tag}"


def lom(tag: str) -> str:
    return f"{{{LOM_NS}}}{tag}"


def qmd(tag: str) -> str:
    return f"{{{QMD_NS}}}{tag}"


def cp(tag: str) -> str:
    """A content-package element name for building (see :func:`q`)."""
    return tag


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def encode_id(value: str) -> str:
    """Our ids may start with a digit (``1``); a QTI identifier may not: prefix ``_``.
    Our ids never start with ``_``, so the mapping is reversible."""
    return f"_{value}" if value[:1].isdigit() else value


def decode_id(value: str) -> str:
    return value[1:] if value.startswith("_") and value[1:2].isdigit() else value


def add_text_blocks(parent: ET.Element, text: str, tag: str = "p") -> None:
    """Plain text -> one ``<p>`` per paragraph (blank line), ``<br/>`` per line break.
    :func:`text_of_blocks` is its exact inverse."""
    for para in text.split("\n\n"):
        p = ET.SubElement(parent, q(tag))
        add_lines(p, para)


def add_lines(el: ET.Element, text: str) -> None:
    lines = text.split("\n")
    el.text = lines[0]
    for line in lines[1:]:
        br = ET.SubElement(el, q("br"))
        br.tail = line


def text_of_inline(el: ET.Element) -> str:
    """Text of an element, ``<br/>`` read as a newline, other inline markup flattened."""
    out = [el.text or ""]
    for child in el:
        if local(child.tag) == "br":
            out.append("\n")
        else:
            out.append(text_of_inline(child))
        out.append(child.tail or "")
    return "".join(out)


def text_of_blocks(parent: ET.Element) -> str:
    paras = [text_of_inline(p) for p in parent if local(p.tag) in ("p", "div", "h2", "h3", "li")]
    return "\n\n".join(paras)
