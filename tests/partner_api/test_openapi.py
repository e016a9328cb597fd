"""The OpenAPI document is true: schemathesis generates requests from it (valid and invalid
ones) and runs them against the Flask app through its WSGI support, with a token of every
scope, a token without scopes and none; every response must be no server error and match its
documented status, content type, headers and schema. And the document names exactly the
API's routes."""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import CHECKS

from toetsbatterij.partners import openapi, service

from .support import attest_for, bearer, partner, person, share, trajectory

API = "/api/partner/v1"


@pytest.fixture
def api_app(make_app):
    return make_app(WTF_CSRF_ENABLED=False, PARTNER_API_RATE_LIMIT=1_000_000)


@pytest.fixture
def api_world(api_app, db_session, clock, content):
    """Agency A shares Amina (trajectory with NT2 and an attest) and Bram (no trajectory)
    with a partner of every scope; another partner has no scope at all."""
    from delivery_support import World

    app, world = api_app, World(db_session, clock, content)
    amina = person(world, world.a["org"])
    attest = attest_for(app, world, content, world.a, amina)
    trajectory(world, amina, {"mo": "passed", "nt2": "passed"}, attest_id=attest.id)
    bram = person(world, world.a["org"], "Bram", "Peeters", serial=103)
    full, full_token = partner(world, world.a["org"], list(service.SCOPES))
    bare, bare_token = partner(world, world.a["org"], [], name="OCMW", kind="welfare")
    refs = [share(world, full, amina), share(world, full, bram)]
    share(world, bare, amina)
    return {"app": app, "full": full_token, "bare": bare_token, "refs": refs}


# positive_data_acceptance expects a 2xx for every schema-valid request; a valid-looking
# person id that is not shared is a documented 404, so it does not apply to this API.
SKIPPED_CHECKS = {"positive_data_acceptance"}


def _operations(app):
    """Every operation of the document as the app serves it (schemathesis' WSGI loader)."""
    schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def test_every_response_matches_the_document(api_world):
    """Hypothesis runs inside the test (schemathesis' pytest plugin does not work with this
    pytest), one property per operation."""
    refs, seen = api_world["refs"], {}
    operations = _operations(api_world["app"])
    # (the OpenAPI checks register when schemathesis loads an OpenAPI schema)
    checks = [c for c in CHECKS.get_all() if c.__name__ not in SKIPPED_CHECKS]
    assert "response_schema_conformance" in {c.__name__ for c in checks}
    # (schemathesis leaves out the operation that serves the document itself)
    assert {op.label for op in operations} == {
        "GET /me", "GET /persons", "GET /persons/{person_id}", "GET /persons/{person_id}/nt2",
        "GET /persons/{person_id}/trajectory", "GET /persons/{person_id}/attests"}

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            variants = [case]
            if "person_id" in (case.path_parameters or {}):
                for ref in refs:  # the same request about persons that are shared
                    variants.append(operation.Case(path_parameters={"person_id": ref},
                                                   query=case.query, headers=case.headers))
            for variant in variants:
                # as generated (its own, random, Authorization: ignored_auth checks that a
                # wrong or missing token is refused), then with a real token of each partner
                # and with none (ignored_auth would take the real token for a generated one)
                for token in ("generated", api_world["full"], api_world["bare"], None):
                    headers = dict(variant.headers or {})
                    use = checks
                    if token != "generated":
                        headers.pop("Authorization", None)
                        use = [c for c in checks if c.__name__ != "ignored_auth"]
                    if token not in ("generated", None):
                        headers.update(bearer(token))
                    response = variant.call(headers=headers)
                    assert response.status_code < 500, (variant.path, response.text[:300])
                    variant.validate_response(response, checks=use, headers=headers)
                    seen.setdefault(operation.label, set()).add(response.status_code)

        run()
    # the generated requests reached the answers that matter, not only refusals
    assert {200, 401} <= seen["GET /persons/{person_id}"]
    assert {200, 401, 403, 404} <= seen["GET /persons/{person_id}/nt2"]
    assert {200, 401} <= seen["GET /persons"]


def _rule_to_openapi(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.removeprefix(API))


def test_the_document_names_exactly_the_routes(app):
    doc = openapi.document()
    documented = {(path, method.upper()) for path, ops in doc["paths"].items()
                  for method in ops if method in ("get", "post", "put", "patch", "delete")}
    routed = {(_rule_to_openapi(r.rule), m) for r in app.url_map.iter_rules()
              if r.endpoint.startswith("partner_api.")
              for m in r.methods - {"HEAD", "OPTIONS"}}
    assert documented == routed
    assert doc["openapi"] == "3.1.0" and doc["servers"] == [{"url": API}]
    # every operation but the document itself needs the token
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if method == "parameters":
                continue
            assert ("security" in op and op["security"] == []) == (path == "/openapi.json")


def test_the_served_document_is_the_data(client):
    resp = client.get(f"{API}/openapi.json")
    assert resp.status_code == 200 and resp.get_json() == openapi.document()


def test_the_scopes_in_the_document_are_the_services(app):
    doc = openapi.document()
    enum = doc["components"]["schemas"]["Me"]["properties"]["scopes"]["items"]["enum"]
    assert enum == list(service.SCOPES)
    assert set(doc["components"]["schemas"]["Me"]["properties"]["partner"]["properties"][
        "kind"]["enum"]) == set(service.PARTNER_KINDS)
    assert "{person_id}/nt2" in " ".join(doc["paths"])
