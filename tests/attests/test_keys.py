"""Signing keys: where they come from, their key id, canonical signatures, tampering, rotation."""

from __future__ import annotations

import json
import stat

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from toetsbatterij.attests import keys, numbers
from toetsbatterij.config import load_config
from toetsbatterij.errors import ConfigurationError

DOC = {"number": "K7PX2M9QRT4DH", "person": {"first_name": "Zoë", "last_name": "Ñúñez"},
       "levels": {"skills": {"reading": "A2"}}, "n": 3}


def test_a_key_is_generated_on_first_use_owner_only_and_reused(tmp_path):
    first = keys.Signer.from_config({}, tmp_path)
    path = tmp_path / "signing-keys" / "current.pem"
    assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
    again = keys.Signer.from_config({}, tmp_path)
    assert again.kid == first.kid


def test_a_key_from_the_environment_or_a_file(tmp_path):
    pem = keys._pem(keys.Signer.generate()._key).decode()
    config = load_config(None, environ={"TOETSBATTERIJ_SIGNING_KEY": pem},
                         require_secret=False)
    from_env = keys.Signer.from_config(config, tmp_path)
    assert not (tmp_path / "signing-keys").exists()  # nothing generated
    key_file = tmp_path / "key.pem"
    key_file.write_text(pem)
    from_file = keys.Signer.from_config({"SIGNING_KEY_FILE": str(key_file)}, tmp_path)
    assert from_env.kid == from_file.kid
    with pytest.raises(ConfigurationError):
        keys.Signer.from_config({"SIGNING_KEY": "not a key"}, tmp_path)
    with pytest.raises(ConfigurationError):
        keys.Signer.from_config({"SIGNING_KEY_FILE": str(tmp_path / "missing.pem")}, tmp_path)


def test_the_key_id_is_the_rfc7638_thumbprint():
    import base64
    import hashlib

    signer = keys.Signer.generate()
    members = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": signer.jwk["x"]},
                         separators=(",", ":"), sort_keys=True).encode()
    expected = base64.urlsafe_b64encode(hashlib.sha256(members).digest()).rstrip(b"=").decode()
    assert signer.kid == expected


def test_canonical_json_is_rfc8785():
    # key order, white space and number spelling do not change the bytes
    assert keys.canonical({"b": 1, "a": [1.0, "é"]}) == '{"a":[1,"é"],"b":1}'.encode()
    assert keys.canonical(json.loads('{ "a" : [ 1e0 , "\\u00e9" ] , "b":1 }')) == \
        keys.canonical({"b": 1, "a": [1, "é"]})


def test_any_changed_byte_of_the_signed_payload_fails():
    signer = keys.Signer.generate()
    message = keys.canonical(DOC)
    signature = signer.sign(message)
    public = Ed25519PublicKey.from_public_bytes(keys.b64url_decode(signer.jwk["x"]))
    public.verify(signature, message)
    for i in range(len(message)):
        changed = bytearray(message)
        changed[i] ^= 0x01
        with pytest.raises(InvalidSignature):
            public.verify(signature, bytes(changed))


def _leaves(doc, path=()):
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _leaves(value, (*path, key))
    else:
        yield path


def _set(doc, path, value):
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


def test_documents_signature_and_key_id_are_all_checked():
    signer, other = keys.Signer.generate(), keys.Signer.generate()
    known = {signer.kid: signer.jwk, other.kid: other.jwk}
    signature = signer.sign_document(DOC)
    assert keys.verify_document(DOC, signature, signer.kid, known)
    for path in _leaves(DOC):
        changed = json.loads(json.dumps(DOC))
        original = changed
        for key in path[:-1]:
            original = original[key]
        _set(changed, path, f"{original[path[-1]]}x")
        assert not keys.verify_document(changed, signature, signer.kid, known), path
    assert not keys.verify_document({**DOC, "extra": 1}, signature, signer.kid, known)
    raw = bytearray(keys.b64url_decode(signature))
    for i in range(len(raw)):
        bad = bytearray(raw)
        bad[i] ^= 0x80
        assert not keys.verify_document(DOC, keys.b64url(bytes(bad)), signer.kid, known)
    assert not keys.verify_document(DOC, "not base64!", signer.kid, known)
    assert not keys.verify_document(DOC, signature, other.kid, known)      # another key
    assert not keys.verify_document(DOC, signature, "unknown-kid", known)  # no such key


def test_rotation_keeps_the_old_key_published(db_session, clock, tmp_path):
    first = keys.Signer.from_config({}, tmp_path)
    keys.register(db_session, clock, first)
    signature = first.sign_document(DOC)
    second = keys.rotate(db_session, clock, tmp_path)
    assert second.kid != first.kid
    assert keys.Signer.from_config({}, tmp_path).kid == second.kid
    assert (tmp_path / "signing-keys" / f"retired-{first.kid}.pem").exists()
    known = keys.known_keys(db_session, second)
    assert set(known) == {first.kid, second.kid}
    assert keys.verify_document(DOC, signature, first.kid, known)
    published = keys.jwks(known)
    assert {k["kid"] for k in published["keys"]} == {first.kid, second.kid}
    assert all(set(k) == {"kty", "crv", "x", "kid", "alg", "use"} for k in published["keys"])
    assert not any("d" in k for k in published["keys"])  # never a private part


@pytest.mark.parametrize("typed", ["k7px-2m9q-rt4d-h", "K7PX 2M9Q RT4D H", "K7PX2M9QRT4DH"])
def test_numbers_are_read_as_typed(typed):
    body = "K7PX2M9QRT4D"
    number = body + numbers.check_symbol(body)
    assert numbers.normalise(typed.replace("H", number[-1]).replace("h", number[-1].lower())) \
        == number
    assert numbers.is_valid_number(number)


def test_the_check_symbol_catches_one_wrong_symbol_and_neighbour_swaps():
    # Luhn mod 32 misses only the swap of 0 and Z (as Luhn misses 09 <-> 90)
    for _ in range(50):
        number = numbers.new_number()
        assert numbers.is_valid_number(number) and len(number) == 13
        for i in range(len(number)):
            for ch in numbers.ALPHABET:
                if ch != number[i]:
                    assert not numbers.is_valid_number(number[:i] + ch + number[i + 1:])
        for i in range(len(number) - 1):
            if number[i] != number[i + 1] and {number[i], number[i + 1]} != {"0", "Z"}:
                swapped = number[:i] + number[i + 1] + number[i] + number[i + 2:]
                assert not numbers.is_valid_number(swapped)


def test_aliases_read_as_digits():
    assert numbers.normalise("O1L-I") == "0111"
    assert numbers.normalise("bad!") is None


def test_workers_starting_together_share_one_generated_key(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        kids = set(pool.map(lambda _: keys.Signer.from_config({}, tmp_path).kid, range(16)))
    assert len(kids) == 1
    assert [p.name for p in (tmp_path / "signing-keys").iterdir()] == ["current.pem"]
