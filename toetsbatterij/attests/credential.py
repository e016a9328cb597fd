"""The attest as a W3C Verifiable Credential, and the agencies' revocation status lists.

- The credential follows the VC Data Model 2.0 in the Open Badges 3.0 shape: an
  ``OpenBadgeCredential`` whose ``AchievementSubject`` holds the attest as an ``Achievement``
  with one ``ResultDescription`` per skill and kind (result type ``PerformanceLevel``, the CEFR
  levels as allowed values) and one ``Result`` per level reached. The holder is named by
  ``IdentityObject`` identifiers (name and birth date, never the identity number).
- It is secured with JOSE as VC-JOSE-COSE says: the credential itself is the JWT claims set
  (no ``vc`` claim), header ``typ: vc+jwt``, ``cty: vc``, ``alg: EdDSA`` and the key id, so any
  JOSE library verifies it with nothing but the JWKS at ``/.well-known/jwks.json``.
- Revocation is published as a Bitstring Status List credential per agency
  (``BitstringStatusListCredential``, purpose ``revocation``): 131,072 entries (16 KB), index 0
  at the left-most bit, GZIP-compressed, base64url without padding, multibase prefix ``u``.
  Each attest has a random index in its agency's list (``Attest.status_index``).
"""

from __future__ import annotations

import datetime as dt
import gzip
from collections.abc import Iterable, Mapping
from typing import Any

from toetsbatterij.attests.keys import Signer, b64url, b64url_decode

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
STATUS_LIST_ENTRIES = 131_072            # the spec's minimum: 16 KB of bits
STATUS_LIST_TTL_MS = 5 * 60 * 1000
ACHIEVEMENT = "taalniveau-nederlands"
SKILL_NAMES = {"reading": "Lezen", "listening": "Luisteren", "writing": "Schrijven",
               "speaking": "Spreken"}


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def urls(base_url: str, organisation_code: str, number: str) -> dict[str, str]:
    base = base_url.rstrip("/")
    return {"credential": f"{base}/attest/{number}",
            "issuer": f"{base}/attest/uitgevers/{organisation_code}",
            "achievement": f"{base}/attest/erkenning/{ACHIEVEMENT}",
            "status_list": f"{base}/attest/status/{organisation_code}"}


def build_credential(payload: Mapping[str, Any], person: Mapping[str, Any], *, base_url: str,
                     status_index: int,
                     levels_order: Iterable[str], kind_labels: Mapping[str, str],
                     issued_at: dt.datetime) -> dict[str, Any]:
    """The Open Badges 3.0 credential of an attest's signed ``payload``."""
    org = payload["issuer"]["organisation"]
    number = payload["number"]
    link = urls(base_url, org["code"], number)
    allowed = list(levels_order)
    levels = payload["levels"]
    descriptions, results = [], []
    for group in ("skills", "kinds"):
        for code, level in levels[group].items():
            name = SKILL_NAMES.get(code) if group == "skills" else kind_labels.get(code, code)
            rid = f"{link['achievement']}#{code}"
            descriptions.append({"id": rid, "type": ["ResultDescription"], "name": name or code,
                                 "resultType": "PerformanceLevel", "allowedValue": allowed})
            results.append({"type": ["Result"], "resultDescription": rid, "value": level})
    subject = {
        "type": ["AchievementSubject"],
        "identifier": [
            {"type": "IdentityObject", "identityType": "name", "hashed": False,
             "identityHash": f"{person['first_name']} {person['last_name']}".strip()},
            {"type": "IdentityObject", "identityType": "ext:birthDate", "hashed": False,
             "identityHash": person["birth_date"]},
        ],
        "activityEndDate": f"{payload['test']['date']}T00:00:00Z",
        "achievement": {
            "id": link["achievement"], "type": ["Achievement"], "achievementType": "Certificate",
            "name": "Attest taalniveau Nederlands",
            "description": ("Het taalniveau Nederlands (ERK) per vaardigheid en per soort "
                            "(mondeling, schriftelijk), vastgesteld met de digitale toets."),
            "criteria": {"narrative": (
                "Niveau volgens het Europees Referentiekader per vaardigheid uit een vastgelegd "
                "toetsresultaat; het niveau van een soort is het laagste van de vaardigheden "
                f"die ze combineert (attestregels versie {payload['rules']['version']}).")},
            "inLanguage": "nl",
            "resultDescription": descriptions,
        },
        "result": results,
    }
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": link["credential"],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Attest taalniveau Nederlands",
        "issuer": {"id": link["issuer"], "type": ["Profile"], "name": org["name"]},
        "validFrom": _iso(issued_at),
        "credentialSubject": subject,
        "credentialStatus": {
            "id": f"{link['status_list']}#{status_index}",
            "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
            "statusListIndex": str(status_index),
            "statusListCredential": link["status_list"],
        },
    }


def sign_credential(signer: Signer, credential: Mapping[str, Any],
                    issued_at: dt.datetime) -> str:
    """The credential as a ``vc+jwt`` (the JWT claims are the credential, plus iss, jti, iat)."""
    claims = dict(credential)
    claims.update({"iss": credential["issuer"]["id"], "jti": credential["id"],
                   "iat": int(issued_at.timestamp())})
    return signer.jwt(claims, typ="vc+jwt", cty="vc")


# -- status lists ---------------------------------------------------------------------------


def encode_bits(indices: Iterable[int], size: int = STATUS_LIST_ENTRIES) -> str:
    """The ``encodedList`` with the bits at ``indices`` set (index 0 = left-most bit)."""
    bits = bytearray(size // 8)
    for index in indices:
        if not 0 <= index < size:
            raise ValueError(f"status index {index} outside the list")
        bits[index // 8] |= 0x80 >> (index % 8)
    return "u" + b64url(gzip.compress(bytes(bits), mtime=0))


def decode_bits(encoded: str) -> bytes:
    """The uncompressed bitstring of an ``encodedList``."""
    if not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url (prefix u)")
    return gzip.decompress(b64url_decode(encoded[1:]))


def bit(bits: bytes, index: int) -> int:
    return (bits[index // 8] >> (7 - index % 8)) & 1


def status_list_credential(*, base_url: str, organisation_code: str, organisation_name: str,
                           revoked: Iterable[int], now: dt.datetime) -> dict[str, Any]:
    link = urls(base_url, organisation_code, "")["status_list"]
    return {
        "@context": [VC_CONTEXT],
        "id": link,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": {"id": urls(base_url, organisation_code, "")["issuer"],
                   "name": organisation_name},
        "validFrom": _iso(now),
        "validUntil": _iso(now + dt.timedelta(days=1)),
        "credentialSubject": {
            "id": f"{link}#list", "type": "BitstringStatusList", "statusPurpose": "revocation",
            "encodedList": encode_bits(revoked), "ttl": STATUS_LIST_TTL_MS,
        },
    }


def sign_status_list(signer: Signer, credential: Mapping[str, Any], now: dt.datetime) -> str:
    claims = dict(credential)
    claims.update({"iss": credential["issuer"]["id"], "jti": credential["id"],
                   "iat": int(now.timestamp())})
    return signer.jwt(claims, typ="vc+jwt", cty="vc")
