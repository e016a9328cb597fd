"""The attest into a wallet (OpenID4VCI 1.0, pre-authorized code flow; ``attests.wallet``).

The test plays a wallet as the specification describes one: it starts from the address in the
PDF's QR code (decoded from the PDF), finds the credential offer on that page, fetches the offer
and the issuer's metadata, exchanges the pre-authorized code and the transaction code (the
holder's birth date) for an access token and fetches the credential, which it verifies with
PyJWT and nothing but the published JWKS.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from urllib.parse import parse_qs, unquote, urlsplit

import jwt as pyjwt
import pytest
from attest_support import LEVELS, FakeResults, finished_attempt, issue
from sqlalchemy import func, select

from toetsbatterij.attests import export, wallet
from toetsbatterij.attests.models import AttestVerification

GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"


@pytest.fixture
def attest(app, world, content):
    results = FakeResults(world.db, world.clock)
    done = finished_attempt(world, content, world.a)
    return issue(world, app.extensions["toetsbatterij"].signer, results, world.a,
                 results.add(world.a["org"], done.id, LEVELS))


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _tx_code(attest) -> str:
    return dt.date.fromisoformat(attest.person["birth_date"]).strftime("%d%m%Y")


def _qr_address(world, attest) -> str:
    """What a phone reads from the QR code printed on the attest PDF."""
    import zxingcpp
    from PIL import Image
    from pypdf import PdfReader

    pdf = export.attest_pdf(world.db, attest, base_url="http://localhost")
    images = PdfReader(io.BytesIO(pdf)).pages[0].images
    return zxingcpp.read_barcodes(Image.open(io.BytesIO(images[0].data)))[0].text


def _offer_from_page(client, address: str) -> dict:
    page = client.get(_path(address))
    assert page.status_code == 200
    links = re.findall(r'href="(openid-credential-offer://[^"]+)"', page.get_data(as_text=True))
    assert len(links) == 1
    link = html.unescape(links[0])
    offer_uri = unquote(parse_qs(urlsplit(link).query)["credential_offer_uri"][0])
    offer = client.get(_path(offer_uri))
    assert offer.status_code == 200 and offer.headers["Cache-Control"] == "no-store"
    return offer.json


def test_a_wallet_takes_the_credential_from_the_pdf_qr_code(app, client, world, attest,
                                                            db_session):
    offer = _offer_from_page(client, _qr_address(world, attest))
    issuer = offer["credential_issuer"]
    metadata = client.get("/.well-known/openid-credential-issuer").json
    assert metadata["credential_issuer"] == issuer
    (config_id,) = offer["credential_configuration_ids"]
    assert metadata["credential_configurations_supported"][config_id]["format"] == "jwt_vc_json"
    server = client.get("/.well-known/oauth-authorization-server").json
    assert GRANT in server["grant_types_supported"]
    grant = offer["grants"][GRANT]
    assert grant["tx_code"] == {"input_mode": "numeric", "length": 8,
                                "description": wallet.TX_CODE["description"]}

    token = client.post(_path(server["token_endpoint"]), data={
        "grant_type": GRANT, "pre-authorized_code": grant["pre-authorized_code"],
        "tx_code": _tx_code(attest)})
    assert token.status_code == 200 and token.json["token_type"] == "Bearer"
    assert token.headers["Cache-Control"] == "no-store"
    response = client.post(_path(metadata["credential_endpoint"]),
                           json={"credential_configuration_id": config_id},
                           headers={"Authorization": f"Bearer {token.json['access_token']}"})
    assert response.status_code == 200
    (issued,) = response.json["credentials"]
    assert issued["credential"] == attest.credential_jwt
    keyset = pyjwt.PyJWKSet.from_dict(client.get("/.well-known/jwks.json").json)
    header = pyjwt.get_unverified_header(issued["credential"])
    claims = pyjwt.decode(issued["credential"], keyset[header["kid"]], algorithms=["EdDSA"])
    assert claims["credentialSubject"]["type"] == ["AchievementSubject"]
    # The token exchange was one (logged) verification with a matching birth date.
    logged = db_session.scalars(select(AttestVerification)).all()
    assert [(v.outcome, v.birth_date_matched) for v in logged] == [("valid", True)]


def test_the_offer_alone_gives_nothing_away(client, attest, db_session):
    offer = _offer_from_page(client, f"/attest/{attest.number}?code={attest.verification_code}")
    code = offer["grants"][GRANT]["pre-authorized_code"]
    wrong = client.post("/openid4vci/token", data={"grant_type": GRANT,
                                                   "pre-authorized_code": code,
                                                   "tx_code": "01011900"})
    assert wrong.status_code == 400 and wrong.json["error"] == "invalid_grant"
    for tx in ("", "1234", "31021990", "abcdefgh"):
        bad = client.post("/openid4vci/token", data={"grant_type": GRANT,
                                                     "pre-authorized_code": code, "tx_code": tx})
        assert bad.status_code == 400 and bad.json["error"] == "invalid_grant"
    forged = client.post("/openid4vci/token", data={"grant_type": GRANT,
                                                    "pre-authorized_code": code[:-2] + "xx",
                                                    "tx_code": "01011990"})
    assert forged.status_code == 400 and forged.json["error"] == "invalid_grant"
    other = client.post("/openid4vci/token", data={"grant_type": "authorization_code"})
    assert other.json["error"] == "unsupported_grant_type"
    # The failed birth date counted (and was committed although the answer was an error).
    assert db_session.scalar(select(func.count(AttestVerification.id))) == 1


def test_repeated_wrong_birth_dates_are_throttled(client, attest):
    offer = _offer_from_page(client, f"/attest/{attest.number}?code={attest.verification_code}")
    code = offer["grants"][GRANT]["pre-authorized_code"]
    answers = [client.post("/openid4vci/token", data={
        "grant_type": GRANT, "pre-authorized_code": code, "tx_code": f"0101{1900 + i}"})
        for i in range(8)]
    assert answers[-1].status_code == 429
    right = client.post("/openid4vci/token", data={"grant_type": GRANT,
                                                   "pre-authorized_code": code,
                                                   "tx_code": _tx_code(attest)})
    assert right.status_code == 429  # locked for this attest, even with the right date


def test_codes_and_tokens_expire(app, client, world, attest):
    offer = _offer_from_page(client, f"/attest/{attest.number}?code={attest.verification_code}")
    code = offer["grants"][GRANT]["pre-authorized_code"]
    token = client.post("/openid4vci/token", data={"grant_type": GRANT,
                                                   "pre-authorized_code": code,
                                                   "tx_code": _tx_code(attest)}).json
    world.clock.advance(wallet.ACCESS_TOKEN_SECONDS + 1)
    late = client.post("/openid4vci/credential", json={"credential_configuration_id":
                                                       wallet.CONFIGURATION_ID},
                       headers={"Authorization": f"Bearer {token['access_token']}"})
    assert late.status_code == 401 and late.json["error"] == "invalid_token"
    assert late.headers["WWW-Authenticate"].startswith("Bearer")
    world.clock.advance(wallet.OFFER_SECONDS)
    assert client.get(f"/openid4vci/credential-offer/{code}").status_code == 400
    stale = client.post("/openid4vci/token", data={"grant_type": GRANT,
                                                   "pre-authorized_code": code,
                                                   "tx_code": _tx_code(attest)})
    assert stale.status_code == 400 and stale.json["error"] == "invalid_grant"


def test_the_credential_endpoint_refuses_bad_requests(client, attest):
    offer = _offer_from_page(client, f"/attest/{attest.number}?code={attest.verification_code}")
    code = offer["grants"][GRANT]["pre-authorized_code"]
    access = client.post("/openid4vci/token", data={"grant_type": GRANT,
                                                    "pre-authorized_code": code,
                                                    "tx_code": _tx_code(attest)}).json
    bearer = {"Authorization": f"Bearer {access['access_token']}"}
    assert client.post("/openid4vci/credential", json={}).status_code == 401
    assert client.post("/openid4vci/credential", json={
        "credential_configuration_id": wallet.CONFIGURATION_ID},
        headers={"Authorization": f"Bearer {code}"}).status_code == 401  # not an access token
    assert client.post("/openid4vci/credential", data="x", headers=bearer).json["error"] == \
        "invalid_credential_request"
    assert client.post("/openid4vci/credential", json={"credential_configuration_id": "other"},
                       headers=bearer).json["error"] == "unknown_credential_configuration"


def test_no_offer_for_what_cannot_be_an_attest(client):
    page = client.get("/attest/NIETS?code=X").get_data(as_text=True)
    assert "openid-credential-offer://" not in page
    assert client.get("/openid4vci/credential-offer/nonsense").status_code == 400
