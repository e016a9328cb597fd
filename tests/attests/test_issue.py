"""Issuing, verification, revocation with four eyes, the credential (checked with PyJWT, an
independent JOSE library), the status list, the PDF (pypdf) and its QR code (zxing-cpp)."""

from __future__ import annotations

import datetime as dt
import io
import json

import jwt as pyjwt
import pytest
from attest_support import (
    BASE_URL,
    LEVELS,
    FakeResults,
    finished_attempt,
    issue,
    name_candidate,
    second_admin,
)
from sqlalchemy import select

from toetsbatterij.attests import credential as vc
from toetsbatterij.attests import export, keys, numbers, service
from toetsbatterij.attests.models import AttestVerification
from toetsbatterij.audit.models import AuditEntry
from toetsbatterij.delivery.models import Candidate
from toetsbatterij.errors import Conflict, Forbidden, InvalidInput, NotFound


@pytest.fixture
def signer():
    return keys.Signer.generate()


@pytest.fixture
def results(world):
    return FakeResults(world.db, world.clock)


@pytest.fixture
def issued(world, content, signer, results):
    attempt = finished_attempt(world, content, world.a)
    rid = results.add(world.a["org"], attempt.id, LEVELS)
    return issue(world, signer, results, world.a, rid)


def _verify(world, attest, **kw):
    kw.setdefault("number", attest.number)
    kw.setdefault("code", attest.verification_code)
    out = service.verify(world.db, world.clock, **kw)
    world.db.commit()
    return out


def test_issue_from_a_frozen_result(world, issued, signer, db_session):
    p = issued.payload
    assert numbers.is_valid_number(issued.number) and p["number"] == issued.number
    assert p["levels"] == {"skills": LEVELS, "kinds": {"mondeling": "A2", "schriftelijk": "A2"}}
    assert issued.rules_version == p["rules"]["version"] == 1
    assert p["key_id"] == issued.key_id == signer.kid
    assert issued.person["id_kind"] == "rrn"
    masked = issued.person["id_number_masked"]
    assert masked.endswith("-•••.••") and "•" in masked
    cand_number = world.db.get(Candidate, issued.candidate_id).id_number
    assert cand_number[6:] not in json.dumps(p) + json.dumps(issued.person)  # never printed
    assert p["issuer"]["organisation"]["code"] == "antwerpen"
    assert p["test"]["date"] == "2026-03-02"
    assert service.signature_valid(world.db, issued, signer)
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "attest.issue"))
    assert entry.object_id == issued.id and entry.details["rules_version"] == 1


def test_only_admins_of_the_owning_agency_issue_once_from_a_current_result(
        world, content, signer, results):
    attempt = finished_attempt(world, content, world.a)
    rid = results.add(world.a["org"], attempt.id, LEVELS)
    with pytest.raises(Forbidden):
        issue(world, signer, results, world.a, rid, actor_id=world.a["staff"]["proctor"])
    with pytest.raises(Forbidden):  # another agency's admin, naming this agency
        issue(world, signer, results, world.a, rid, actor_id=world.b["staff"]["agency_admin"])
    world.db.rollback()
    with pytest.raises(NotFound):  # another agency issuing this agency's result
        issue(world, signer, results, world.b, rid)
    world.db.rollback()
    newer = results.supersede(rid)
    with pytest.raises(Conflict):
        issue(world, signer, results, world.a, rid)
    world.db.rollback()
    rid = newer
    issue(world, signer, results, world.a, rid)
    with pytest.raises(Conflict):
        issue(world, signer, results, world.a, rid)


def test_the_rules_of_the_test_date_apply(world, content, signer, results, clock):
    from toetsbatterij.attests import rulesets
    from toetsbatterij.attests.rules import load_default_document

    attempt = finished_attempt(world, content, world.a)
    doc = load_default_document()
    doc["kinds"]["mondeling"]["label"] = "Mondeling (nieuw)"
    rulesets.add_version(world.db, clock, organisation_id=world.a["org"],
                         actor_id=world.a["staff"]["agency_admin"], document=doc,
                         effective_from=dt.date(2026, 3, 3))
    world.db.commit()
    clock.advance(days=5)  # issued later: still under the test day's rules
    attest = issue(world, signer, results, world.a, results.add(world.a["org"], attempt.id,
                                                                 LEVELS))
    assert attest.rules_version == 1


def test_verification_valid_unknown_and_the_name_only_with_the_birth_date(world, issued):
    birth = dt.date.fromisoformat(issued.person["birth_date"])
    plain = _verify(world, issued)
    assert plain.status == "valid" and plain.holder is None
    assert plain.skills == LEVELS and plain.kinds["mondeling"] == "A2"
    as_json = plain.to_json()
    assert "holder" not in as_json and "Kandidaat0" not in json.dumps(as_json)
    assert _verify(world, issued, birth_date=birth + dt.timedelta(days=1)).holder is None
    named = _verify(world, issued, birth_date=birth, channel="json")
    assert named.holder == {"first_name": "Kandidaat0", "last_name": "Achternaam0",
                            "birth_date": birth.isoformat()}
    typed = _verify(world, issued, number=numbers.display(issued.number).lower(),
                    code=issued.verification_code.lower())
    assert typed.status == "valid"
    for number, code in ((issued.number, "AAAAAA"), ("K7PX2M9QRT4DH", issued.verification_code),
                         (issued.number[:-1] + "0", issued.verification_code), ("", ""),
                         ("'; drop table attest;--", "x" * 500)):
        assert _verify(world, issued, number=number, code=code).to_json() == {"status": "unknown"}
    logged = world.db.scalars(select(AttestVerification)).all()
    assert [v.outcome for v in logged].count("unknown") == 5
    assert {c.name for c in AttestVerification.__table__.columns} == {
        "id", "attest_id", "organisation_id", "outcome", "channel", "birth_date_given",
        "birth_date_matched", "at"}  # nothing about the verifier
    with pytest.raises(InvalidInput):
        _verify(world, issued, channel="email")


def test_wrong_birth_dates_are_throttled_per_attest(world, issued):
    birth = dt.date.fromisoformat(issued.person["birth_date"])
    for i in range(5):
        assert not _verify(world, issued, birth_date=birth + dt.timedelta(days=i + 1),
                           client=f"c{i}").birth_date_matched
    with pytest.raises(service.VerificationThrottled):
        _verify(world, issued, birth_date=birth, client="other")
    world.db.commit()  # the throttled check is logged (keeps_changes)
    assert _verify(world, issued).status == "valid"  # the status itself stays public
    world.clock.advance(hours=2)
    assert _verify(world, issued, birth_date=birth).birth_date_matched


def test_unknown_lookups_are_throttled_per_client(world, issued):
    for _ in range(20):
        assert _verify(world, issued, code="ZZZZZZ", client="203.0.113.9").status == "unknown"
    with pytest.raises(service.VerificationThrottled):
        _verify(world, issued, client="203.0.113.9")
    world.db.commit()
    assert _verify(world, issued, client="198.51.100.1").status == "valid"


def test_a_tampered_record_never_verifies(world, issued, signer):
    assert _verify(world, issued, signer=signer).status == "valid"
    payload = json.loads(json.dumps(issued.payload))
    payload["levels"]["skills"]["reading"] = "B2"
    issued.payload = payload
    world.db.commit()
    assert not service.signature_valid(world.db, issued, signer)
    assert _verify(world, issued, signer=signer).status == "unknown"
    assert world.db.scalars(select(AttestVerification.outcome)).all()[-1] == "invalid"


def test_revocation_needs_four_eyes(world, issued, db_session):
    org, a = world.a["org"], world.a["staff"]
    other_admin = second_admin(world, world.a)
    with pytest.raises(NotFound):  # another agency neither requests nor sees it
        service.request_revocation(world.db, world.clock, organisation_id=world.b["org"],
                                   actor_id=world.b["staff"]["agency_admin"],
                                   attest_id=issued.id, reason="x")
    with pytest.raises(Forbidden):
        service.request_revocation(world.db, world.clock, organisation_id=org,
                                   actor_id=a["rater"], attest_id=issued.id, reason="x")
    with pytest.raises(InvalidInput):
        service.request_revocation(world.db, world.clock, organisation_id=org,
                                   actor_id=a["agency_admin"], attest_id=issued.id, reason=" ")
    service.request_revocation(world.db, world.clock, organisation_id=org,
                               actor_id=a["agency_admin"], attest_id=issued.id,
                               reason="Fraude vastgesteld")
    world.db.commit()
    with pytest.raises(Conflict):
        service.request_revocation(world.db, world.clock, organisation_id=org,
                                   actor_id=other_admin, attest_id=issued.id, reason="nog eens")
    with pytest.raises(Forbidden):  # the same person cannot confirm
        service.confirm_revocation(world.db, world.clock, organisation_id=org,
                                   actor_id=a["agency_admin"], attest_id=issued.id)
    with pytest.raises(Forbidden):  # a proctor cannot confirm
        service.confirm_revocation(world.db, world.clock, organisation_id=org,
                                   actor_id=a["proctor"], attest_id=issued.id)
    with pytest.raises(NotFound):
        service.confirm_revocation(world.db, world.clock, organisation_id=world.b["org"],
                                   actor_id=world.b["staff"]["agency_admin"],
                                   attest_id=issued.id)
    assert _verify(world, issued).status == "valid"  # requested is not revoked
    world.clock.advance(hours=3)
    service.confirm_revocation(world.db, world.clock, organisation_id=org, actor_id=other_admin,
                               attest_id=issued.id)
    world.db.commit()
    result = _verify(world, issued)
    assert result.status == "revoked" and result.revoked_on == dt.date(2026, 3, 2)
    assert result.to_json()["revoked_on"] == "2026-03-02"
    assert "Fraude" not in json.dumps(result.to_json())  # no reason text for the public
    actions = [e.action for e in db_session.scalars(select(AuditEntry))]
    assert "attest.revocation_request" in actions and "attest.revocation_confirm" in actions
    with pytest.raises(Conflict):
        service.request_revocation(world.db, world.clock, organisation_id=org,
                                   actor_id=a["proctor"], attest_id=issued.id, reason="x")


def test_a_proctor_requests_and_a_request_can_be_withdrawn(world, issued):
    org, a = world.a["org"], world.a["staff"]
    service.request_revocation(world.db, world.clock, organisation_id=org, actor_id=a["proctor"],
                               attest_id=issued.id, reason="Vermoeden van fraude")
    service.withdraw_revocation(world.db, world.clock, organisation_id=org,
                                actor_id=a["agency_admin"], attest_id=issued.id)
    with pytest.raises(Conflict):
        service.confirm_revocation(world.db, world.clock, organisation_id=org,
                                   actor_id=a["agency_admin"], attest_id=issued.id)
    # a proctor's request is confirmed by any admin (another person)
    service.request_revocation(world.db, world.clock, organisation_id=org, actor_id=a["proctor"],
                               attest_id=issued.id, reason="Opnieuw")
    service.confirm_revocation(world.db, world.clock, organisation_id=org,
                               actor_id=a["agency_admin"], attest_id=issued.id)
    world.db.commit()
    assert issued.revoked_at is not None


def _jwks_set(world, signer):
    return pyjwt.PyJWKSet.from_dict(keys.jwks(keys.known_keys(world.db, signer)))


def _decode(token, jwks_set):
    kid = pyjwt.get_unverified_header(token)["kid"]
    key = next(k for k in jwks_set.keys if k.key_id == kid)
    return pyjwt.decode(token, key, algorithms=["EdDSA"], options={"verify_aud": False})


def test_the_credential_verifies_with_an_independent_jose_library(world, issued, signer):
    token = issued.credential_jwt
    header = pyjwt.get_unverified_header(token)
    assert header == {"alg": "EdDSA", "kid": signer.kid, "typ": "vc+jwt", "cty": "vc"}
    claims = _decode(token, _jwks_set(world, signer))
    assert claims["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert claims["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert "vc" not in claims and claims["iss"] == claims["issuer"]["id"]
    subject = claims["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    got = {r["resultDescription"].rsplit("#", 1)[1]: r["value"] for r in subject["result"]}
    assert got == LEVELS | {"mondeling": "A2", "schriftelijk": "A2"}
    described = {d["id"] for d in subject["achievement"]["resultDescription"]}
    assert {r["resultDescription"] for r in subject["result"]} == described
    names = [i["identityHash"] for i in subject["identifier"]]
    assert names[0] == "Kandidaat0 Achternaam0"
    status = claims["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry"
    assert status["statusListIndex"] == str(issued.status_index)
    assert status["statusListCredential"] == f"{BASE_URL}/attest/status/antwerpen"
    # any change fails: payload, header, signature
    head, body, sig = token.split(".")
    altered = json.loads(keys.b64url_decode(body))
    altered["credentialSubject"]["result"][0]["value"] = "C2"
    forged = ".".join((head, keys.b64url(json.dumps(altered).encode()), sig))
    other_head = keys.b64url(json.dumps({**header, "typ": "JWT"}).encode())
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    for bad in (forged, ".".join((other_head, body, sig)), ".".join((head, body, flipped))):
        with pytest.raises(pyjwt.InvalidSignatureError):
            _decode(bad, _jwks_set(world, signer))
    stranger = keys.Signer.generate()
    with pytest.raises(StopIteration):  # signed by a key the JWKS does not publish
        _decode(stranger.jwt(claims, typ="vc+jwt"), _jwks_set(world, signer))


def test_the_status_list_marks_a_revoked_attest(world, content, issued, signer, results):
    attempt = finished_attempt(world, content, world.a, 1)
    other = issue(world, signer, results, world.a, results.add(world.a["org"], attempt.id,
                                                                LEVELS))
    second = second_admin(world, world.a)
    service.request_revocation(world.db, world.clock, organisation_id=world.a["org"],
                               actor_id=world.a["staff"]["agency_admin"], attest_id=issued.id,
                               reason="fout")
    service.confirm_revocation(world.db, world.clock, organisation_id=world.a["org"],
                               actor_id=second, attest_id=issued.id)
    world.db.commit()
    listing = vc.status_list_credential(
        base_url=BASE_URL, organisation_code="antwerpen", organisation_name="A",
        revoked=service.revoked_indices(world.db, world.a["org"]), now=world.clock.now())
    token = vc.sign_status_list(signer, listing, world.clock.now())
    claims = _decode(token, _jwks_set(world, signer))
    assert claims["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    subject = claims["credentialSubject"]
    assert subject["statusPurpose"] == "revocation" and subject["encodedList"][0] == "u"
    bits = vc.decode_bits(subject["encodedList"])
    assert len(bits) * 8 == 131_072
    assert vc.bit(bits, issued.status_index) == 1
    assert vc.bit(bits, other.status_index) == 0
    assert sum(bin(b).count("1") for b in bits) == 1
    # the other agency's list does not carry this agency's revocation
    assert service.revoked_indices(world.db, world.b["org"]) == []


def test_status_list_bit_order():
    bits = vc.decode_bits(vc.encode_bits([0, 9, 131_071]))
    assert bits[0] == 0x80 and bits[1] == 0x40 and bits[-1] == 0x01
    with pytest.raises(ValueError):
        vc.encode_bits([131_072])


NAMES = [("Zoë", "Ñúñez-Çelik"), ("Олександр", "Коваленко"), ("ተስፋይ", "ገብረሂወት"),
         ("نادية", "حداد")]


@pytest.mark.parametrize(("first", "last"), NAMES)
def test_the_pdf_holds_names_levels_and_a_qr_code_to_the_verification_page(
        world, content, signer, results, first, last):
    import zxingcpp
    from PIL import Image
    from pypdf import PdfReader

    attempt = finished_attempt(world, content, world.a)
    name_candidate(world, attempt.candidate_id, first, last)
    attest = issue(world, signer, results, world.a, results.add(world.a["org"], attempt.id,
        {"reading": "B1", "listening": "A2", "writing": "below_A1", "speaking": "B2"}))
    reader = PdfReader(io.BytesIO(export.attest_pdf(world.db, attest, base_url=BASE_URL)))
    text = reader.pages[0].extract_text()
    assert first in text and last in text
    for line in ("Lezen B1", "Luisteren A2", "Schrijven lager dan A1", "Spreken B2",
                 "Mondeling A2", "Schriftelijk lager dan A1"):
        assert line in text.replace("\n", " ").replace("  ", " ") or \
            all(part in text for part in line.split(" ", 1)), line
    assert numbers.display(attest.number) in text and attest.verification_code in text
    images = reader.pages[0].images
    assert len(images) == 1
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(images[0].data)))
    assert [r.text for r in decoded] == [
        f"{BASE_URL}/attest/{attest.number}?code={attest.verification_code}"]


def test_the_demo_export_writes_pdf_credential_and_jwks(world, content, signer, results,
                                                        tmp_path):
    attempt = finished_attempt(world, content, world.a)
    rid = results.add(world.a["org"], attempt.id, LEVELS)
    path = export.issue_demo_attest(
        world.db, world.clock, signer, organisation_id=world.a["org"],
        actor_id=world.a["staff"]["agency_admin"], result_id=rid, out_dir=tmp_path,
        base_url=BASE_URL)
    world.db.commit()
    attest = service.for_result(world.db, world.a["org"], rid)
    files = {"pdf": tmp_path / f"attest-{attest.number}.pdf"}
    assert path == f"/attest/{attest.number}?code={attest.verification_code}"
    assert files["pdf"].name == f"attest-{attest.number}.pdf"
    assert files["pdf"].read_bytes().startswith(b"%PDF")
    token = (tmp_path / f"attest-{attest.number}.vc.jwt").read_text().strip()
    published = pyjwt.PyJWKSet.from_dict(json.loads((tmp_path / "jwks.json").read_text()))
    assert _decode(token, published)["id"] == f"{BASE_URL}/attest/{attest.number}"


def test_after_the_erasure_the_attest_verifies_without_the_person(world, issued, signer):
    from toetsbatterij.privacy.retention import RetentionPolicy, erase_expired

    birth = dt.date.fromisoformat(issued.person["birth_date"])
    digest = issued.payload["person_digest"]
    assert digest.startswith("hmac-sha256:") and "Kandidaat0" not in json.dumps(issued.payload)
    world.clock.advance(days=800)
    from toetsbatterij.config import DEFAULTS

    policy = RetentionPolicy.from_config(DEFAULTS)
    report = erase_expired(world.db, world.clock, policy)
    world.db.commit()
    world.db.refresh(issued)
    assert report.counts["identity"] >= 2  # the candidate and the attest's holder
    assert issued.person is None and issued.person_salt is None
    assert issued.credential_jwt is None
    assert issued.payload["person_digest"] == digest
    assert service.signature_valid(world.db, issued, signer)
    result = _verify(world, issued, birth_date=birth)
    assert result.status == "valid" and result.holder is None and not result.birth_date_matched
    assert result.skills == LEVELS
    with pytest.raises(Conflict):
        export.attest_pdf(world.db, issued, base_url=BASE_URL)


def test_a_changed_holder_breaks_the_digest(world, issued, signer):
    person = dict(issued.person)
    person["last_name"] = "Iemand Anders"
    issued.person = person
    world.db.commit()
    assert not service.signature_valid(world.db, issued, signer)
    assert _verify(world, issued).status == "unknown"


def test_signature_and_key_id_of_the_record_are_checked(world, issued, signer):
    from toetsbatterij.attests.models import SigningKey

    other = keys.Signer.generate()
    keys.register(world.db, world.clock, other)
    good_kid, good_sig = issued.key_id, issued.signature
    issued.key_id = other.kid  # another published key
    world.db.commit()
    assert _verify(world, issued, signer=signer).status == "unknown"
    issued.key_id, issued.signature = good_kid, good_sig[:-3] + ("AAA" if good_sig[-3:] != "AAA"
                                                                else "BBB")
    world.db.commit()
    assert _verify(world, issued, signer=signer).status == "unknown"
    issued.signature = good_sig
    world.db.commit()
    assert _verify(world, issued, signer=signer).status == "valid"
    assert world.db.get(SigningKey, signer.kid) is not None


def test_an_old_attest_verifies_after_a_key_rotation(world, content, results, tmp_path):
    first = keys.Signer.from_config({}, tmp_path)
    attempt = finished_attempt(world, content, world.a)
    old = issue(world, first, results, world.a, results.add(world.a["org"], attempt.id, LEVELS))
    second = keys.rotate(world.db, world.clock, tmp_path, old=first)
    world.db.commit()
    attempt = finished_attempt(world, content, world.a, 1)
    new = issue(world, second, results, world.a, results.add(world.a["org"], attempt.id,
                                                               LEVELS))
    assert (old.key_id, new.key_id) == (first.kid, second.kid)
    assert _verify(world, old, signer=second).status == "valid"
    assert _verify(world, new, signer=second).status == "valid"
    keyset = _jwks_set(world, second)
    assert _decode(old.credential_jwt, keyset)["id"].endswith(old.number)
    assert _decode(new.credential_jwt, keyset)["id"].endswith(new.number)
