"""The Ed25519 signing key, its key id, canonical signing, and the published key set (JWKS).

Where the private key comes from (``Signer.from_config``), in this order:

1. ``SIGNING_KEY``: a PEM private key given inline (``TOETSBATTERIJ_SIGNING_KEY``);
2. ``SIGNING_KEY_FILE``: a PEM file;
3. otherwise ``<instance>/signing-keys/current.pem``, generated on first use (mode 600).

Never in the repository. The key id is the RFC 7638 JWK thumbprint of the public key. Every
public key that ever signed is stored in ``signing_key`` (registered when it first signs), so a
rotation (``rotate``; ``python -m toetsbatterij.cli rotate-signing-key``) keeps every earlier
attest verifiable and published at ``/.well-known/jwks.json``.

What is signed is the RFC 8785 (JSON Canonicalization Scheme) serialisation of a document: the
same JSON value always gives the same bytes, whatever the key order or number formatting of
the store it comes back from (SQLite and PostgreSQL JSON differ).
"""

from __future__ import annotations

import base64
import os
import secrets
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from joserfc import jws
from joserfc.errors import SecurityWarning
from joserfc.jwk import OKPKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from toetsbatterij.attests.models import SigningKey
from toetsbatterij.clock import Clock
from toetsbatterij.errors import ConfigurationError

ALGORITHM = "EdDSA"          # JWS "alg" for Ed25519 (RFC 8037; widest support, see README)
KEY_DIR = "signing-keys"
CURRENT = "current.pem"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical(document: Any) -> bytes:
    """RFC 8785 canonical JSON of ``document`` (UTF-8 bytes)."""
    return rfc8785.dumps(document)


def public_jwk(public: Ed25519PublicKey) -> dict[str, str]:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}


def thumbprint(jwk: Mapping[str, str]) -> str:
    """RFC 7638 thumbprint of an Ed25519 JWK (the key id)."""
    return OKPKey.import_key({"kty": jwk["kty"], "crv": jwk["crv"], "x": jwk["x"]}).thumbprint()


def _load_pem(data: bytes, where: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"{where}: not a PEM private key without password") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(f"{where}: the signing key must be an Ed25519 key")
    return key


def _pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _write_new(path: Path) -> Ed25519PrivateKey | None:
    """Create ``path`` with a new key, readable by the owner only; None when it exists."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Ed25519PrivateKey.generate()
    # Written in full under a temporary name, then linked into place: another worker never
    # reads half a key, and of two workers starting at once the first link wins.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(_pem(key))
        fh.flush()
        os.fsync(fh.fileno())
    try:
        os.link(temporary, path)
    except FileExistsError:
        return None  # another process made it first: use that one
    finally:
        temporary.unlink()
    return key


class Signer:
    """Signs with one Ed25519 private key; knows its public JWK and key id."""

    def __init__(self, private_key: Ed25519PrivateKey, *, source: str = "") -> None:
        self._key = private_key
        self.source = source
        self.jwk = public_jwk(private_key.public_key())
        self.kid = thumbprint(self.jwk)

    @classmethod
    def generate(cls) -> Signer:
        return cls(Ed25519PrivateKey.generate(), source="memory")

    @classmethod
    def from_config(cls, config: Mapping[str, Any], instance_path: Path) -> Signer:
        inline = config.get("SIGNING_KEY")
        if inline:
            return cls(_load_pem(str(inline).encode(), "SIGNING_KEY"), source="SIGNING_KEY")
        path_name = config.get("SIGNING_KEY_FILE")
        if path_name:
            path = Path(path_name)
            if not path.is_file():
                raise ConfigurationError(f"SIGNING_KEY_FILE {path} does not exist")
            return cls(_load_pem(path.read_bytes(), str(path)), source=str(path))
        path = instance_path / KEY_DIR / CURRENT
        if not path.exists():
            key = _write_new(path)
            if key is not None:
                return cls(key, source=str(path))
        return cls(_load_pem(path.read_bytes(), str(path)), source=str(path))

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def sign_document(self, document: Any) -> str:
        """The base64url Ed25519 signature of the canonical JSON of ``document``."""
        return b64url(self.sign(canonical(document)))

    def jwt(self, claims: Mapping[str, Any], *, typ: str, cty: str | None = None) -> str:
        """A compact JWS (JOSE) of ``claims`` with alg EdDSA and this key id."""
        header: dict[str, Any] = {"alg": ALGORITHM, "kid": self.kid, "typ": typ}
        if cty:
            header["cty"] = cty
        key = OKPKey.import_key(_pem(self._key))
        with warnings.catch_warnings():
            # joserfc flags "EdDSA" as superseded by RFC 9864's "Ed25519"; verifiers (PyJWT,
            # jose, most wallets) know only "EdDSA" still, so it stays (README).
            warnings.simplefilter("ignore", SecurityWarning)
            return jws.serialize_compact(header, canonical(dict(claims)), key,
                                         algorithms=[ALGORITHM])


# -- the published key set ---------------------------------------------------------------------


def register(db: Session, clock: Clock, signer: Signer) -> SigningKey:
    """Store the signer's public key (once) so that it is published and verifies for ever."""
    row = db.get(SigningKey, signer.kid)
    if row is None:
        row = SigningKey(kid=signer.kid, public_jwk=dict(signer.jwk), created_at=clock.now(),
                         retired_at=None)
        db.add(row)
        db.flush()
    return row


def known_keys(db: Session, signer: Signer | None = None) -> dict[str, dict[str, str]]:
    """Every public key by key id: the stored ones and the current signer's."""
    keys = {row.kid: dict(row.public_jwk) for row in db.scalars(select(SigningKey))}
    if signer is not None:
        keys.setdefault(signer.kid, dict(signer.jwk))
    return keys


def jwks(keys: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """The JSON Web Key Set of ``keys`` (RFC 7517), each with its kid, alg and use."""
    return {"keys": [{**jwk, "kid": kid, "alg": ALGORITHM, "use": "sig"}
                     for kid, jwk in sorted(keys.items())]}


def verify_document(document: Any, signature: str, kid: str,
                    keys: Mapping[str, Mapping[str, str]]) -> bool:
    """True when ``signature`` is the Ed25519 signature by key ``kid`` of the canonical JSON
    of ``document``; False for an unknown key id, a malformed or a wrong signature."""
    jwk = keys.get(kid)
    if jwk is None or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        return False
    try:
        public = Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
        public.verify(b64url_decode(signature), canonical(document))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def rotate(db: Session, clock: Clock, instance_path: Path,
           old: Signer | None = None) -> Signer:
    """A new generated key in the instance folder; the old one is registered (so it stays
    published), marked retired and its private file moved to ``retired-<kid>.pem``."""
    folder = instance_path / KEY_DIR
    current = folder / CURRENT
    if old is None and current.exists():
        old = Signer(_load_pem(current.read_bytes(), str(current)), source=str(current))
    if old is not None:
        row = register(db, clock, old)
        row.retired_at = clock.now()
        if current.exists():
            current.rename(folder / f"retired-{old.kid}.pem")
    key = _write_new(current)
    if key is None:  # pragma: no cover - a concurrent rotation
        raise ConfigurationError(f"{current} appeared during the rotation")
    signer = Signer(key, source=str(current))
    register(db, clock, signer)
    return signer


def public_keys(rows: Iterable[SigningKey]) -> dict[str, dict[str, str]]:
    return {row.kid: dict(row.public_jwk) for row in rows}
