"""The attest into a wallet: OpenID for Verifiable Credential Issuance 1.0 (OpenID4VCI), the
pre-authorized code flow.

The QR code on the attest PDF opens the verification page of that attest. That page also
carries a *credential offer* (``openid-credential-offer://?credential_offer_uri=...``, as a
button for the phone that scanned the QR, and as a QR code of its own for a wallet on another
device). A wallet that follows the offer:

1. fetches the offer (``credential_offer_uri``) and the issuer's metadata
   (``/.well-known/openid-credential-issuer``, ``/.well-known/oauth-authorization-server``);
2. asks the holder for the *transaction code* the offer announces: the holder's birth date as
   eight digits (DDMMJJJJ), the same proof that shows the name on the verification page, and
   counted by the same throttle, so the offer alone (printed on paper) gives nothing away;
3. exchanges the pre-authorized code and the transaction code at the token endpoint for a
   short-lived access token;
4. fetches the credential (the attest's ``vc+jwt``, see ``credential``) at the credential
   endpoint.

Nothing is stored for an offer or a token: both are signed by the server (itsdangerous, keyed
with the application's secret, one salt per kind) and carry their own expiry, so a GET that
shows an offer writes nothing. The credential is not bound to a wallet key (no proof of
possession is asked for): its subject is identified by name and birth date, like the paper
attest.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from toetsbatterij.attests import keys, numbers, service
from toetsbatterij.attests.models import Attest
from toetsbatterij.clock import Clock

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
CONFIGURATION_ID = "nt2-attest"
CREDENTIAL_FORMAT = "jwt_vc_json"
OFFER_SECONDS = 30 * 60          # how long a shown offer can be taken up
ACCESS_TOKEN_SECONDS = 5 * 60
TX_CODE = {"input_mode": "numeric", "length": 8,
           "description": "Uw geboortedatum: dag, maand en jaar in 8 cijfers (bijvoorbeeld "
                          "05031990 voor 5 maart 1990)."}

_OFFER_SALT = "openid4vci-pre-authorized-code"
_ACCESS_SALT = "openid4vci-access-token"
_DIGITS = re.compile(r"\d{8}")


@dataclass
class WalletError(Exception):
    """An OAuth 2.0 / OpenID4VCI error response: ``{"error": ..., "error_description": ...}``."""

    error: str
    description: str
    status: int = 400

    def to_json(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def _epoch(clock: Clock) -> int:
    return int(clock.now().timestamp())


def _serializer(secret: str, salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=salt)


def _load(secret: str, salt: str, token: str, clock: Clock, error: str) -> dict[str, Any]:
    status = 401 if error == "invalid_token" else 400  # RFC 6750 §3.1
    try:
        data = _serializer(secret, salt).loads(token)
    except BadSignature:
        raise WalletError(error, "Deze code is niet geldig.", status) from None
    if not isinstance(data, dict) or int(data.get("exp", 0)) < _epoch(clock):
        raise WalletError(error, "Deze code is verlopen. Open de controlepagina opnieuw.",
                          status)
    return data


# -- metadata ----------------------------------------------------------------------------------


def issuer_metadata(base_url: str) -> dict[str, Any]:
    """The Credential Issuer Metadata (OpenID4VCI 1.0 §12.2)."""
    return {
        "credential_issuer": base_url,
        "credential_endpoint": f"{base_url}/openid4vci/credential",
        "display": [{"name": "Toetsbatterij NT2 (Vlaamse integratieagentschappen)",
                     "locale": "nl"}],
        "credential_configurations_supported": {
            CONFIGURATION_ID: {
                "format": CREDENTIAL_FORMAT,
                "credential_definition": {
                    "type": ["VerifiableCredential", "OpenBadgeCredential"]},
                "credential_signing_alg_values_supported": ["EdDSA"],
                "credential_metadata": {"display": [
                    {"name": "Attest Nederlands als tweede taal", "locale": "nl"},
                    {"name": "Certificate of Dutch as a second language", "locale": "en"}]},
            }
        },
    }


def authorization_server_metadata(base_url: str) -> dict[str, Any]:
    """OAuth 2.0 Authorization Server Metadata (RFC 8414): the issuer is its own server."""
    return {
        "issuer": base_url,
        "token_endpoint": f"{base_url}/openid4vci/token",
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "pre-authorized_grant_anonymous_access_supported": True,
        "response_types_supported": [],
    }


# -- the offer ---------------------------------------------------------------------------------


def pre_authorized_code(secret: str, clock: Clock, *, number: str | None,
                        code: str | None) -> str | None:
    """A signed, expiring code for the attest ``number`` with verification ``code``, or None
    when the two cannot be an attest's (nothing is looked up: a wrong pair fails later)."""
    wanted, wanted_code = numbers.normalise(number), numbers.normalise(code)
    if not (wanted and wanted_code and numbers.is_valid_number(wanted)):
        return None
    return _serializer(secret, _OFFER_SALT).dumps(
        {"n": wanted, "c": wanted_code, "exp": _epoch(clock) + OFFER_SECONDS})


def offer(secret: str, clock: Clock, base_url: str, pre_code: str) -> dict[str, Any]:
    """The Credential Offer object (OpenID4VCI 1.0 §4.1.1) for a pre-authorized code."""
    _load(secret, _OFFER_SALT, pre_code, clock, "invalid_request")
    return {
        "credential_issuer": base_url,
        "credential_configuration_ids": [CONFIGURATION_ID],
        "grants": {PRE_AUTHORIZED_GRANT: {"pre-authorized_code": pre_code,
                                          "tx_code": dict(TX_CODE)}},
    }


def offer_link(offer_url: str) -> str:
    """The deep link a wallet opens (by reference: the QR code stays small)."""
    return "openid-credential-offer://?credential_offer_uri=" + quote(offer_url, safe="")


# -- token and credential ----------------------------------------------------------------------


def _birth_date(tx_code: str) -> dt.date:
    digits = (tx_code or "").strip()
    if not _DIGITS.fullmatch(digits):
        raise WalletError("invalid_grant", "De code is de geboortedatum in 8 cijfers (DDMMJJJJ).")
    try:
        return dt.date(int(digits[4:]), int(digits[2:4]), int(digits[:2]))
    except ValueError:
        raise WalletError("invalid_grant",
                          "De code is de geboortedatum in 8 cijfers (DDMMJJJJ).") from None


def token(db: Session, clock: Clock, secret: str, form: Mapping[str, str], *, client: str = "",
          signer: keys.Signer | None = None, **limits: Any) -> dict[str, Any]:
    """The token endpoint: a pre-authorized code and the transaction code (the holder's birth
    date) for an access token. A wrong birth date counts as a failed verification."""
    if form.get("grant_type") != PRE_AUTHORIZED_GRANT:
        raise WalletError("unsupported_grant_type", "Alleen de pre-authorized code wordt "
                                                    "ondersteund.")
    data = _load(secret, _OFFER_SALT, form.get("pre-authorized_code") or "", clock,
                 "invalid_grant")
    birth = _birth_date(form.get("tx_code") or "")
    try:
        service.holder_credential(db, clock, number=data["n"], code=data["c"], birth_date=birth,
                                  client=client, signer=signer, **limits)
    except service.HolderNotFound:
        raise WalletError("invalid_grant", "Attestnummer en geboortedatum horen niet bij "
                                           "elkaar.") from None
    except service.VerificationThrottled:
        raise WalletError("invalid_grant", "Te veel pogingen. Probeer het later opnieuw.",
                          status=429) from None
    access = _serializer(secret, _ACCESS_SALT).dumps(
        {"n": data["n"], "c": data["c"], "exp": _epoch(clock) + ACCESS_TOKEN_SECONDS})
    return {"access_token": access, "token_type": "Bearer", "expires_in": ACCESS_TOKEN_SECONDS}


def credential(db: Session, clock: Clock, secret: str, authorization: str | None,
               request: Any) -> dict[str, Any]:
    """The credential endpoint: the attest's credential for a valid access token."""
    scheme, _, bearer = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not bearer.strip():
        raise WalletError("invalid_token", "Een access token (Bearer) is nodig.", status=401)
    data = _load(secret, _ACCESS_SALT, bearer.strip(), clock, "invalid_token")
    if not isinstance(request, dict):
        raise WalletError("invalid_credential_request", "Stuur een JSON-object.")
    wanted = request.get("credential_configuration_id")
    if wanted != CONFIGURATION_ID:
        raise WalletError("unknown_credential_configuration",
                          f"Alleen {CONFIGURATION_ID!r} wordt uitgegeven.")
    attest = db.scalar(select(Attest).where(Attest.number == data["n"]))
    if attest is None or attest.verification_code != data["c"] or attest.credential_jwt is None:
        raise WalletError("invalid_token", "Dit attest kan niet (meer) worden uitgegeven.",
                          status=401)
    return {"credentials": [{"credential": attest.credential_jwt}]}
