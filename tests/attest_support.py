"""Helpers of the attest tests (imported as ``attest_support``): a finished attempt with a
result to issue from, and the issue call with the test signer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from delivery_support import take_attempt

from toetsbatterij.accounts import service as accounts
from toetsbatterij.attests import service
from toetsbatterij.attests.source import attempt_facts

BASE_URL = "https://attest.test"
LEVELS = {"reading": "A2", "listening": "B1", "writing": "A2", "speaking": "A2"}


class FakeResults:
    """Results by id, standing in for ``toetsbatterij.results`` where a test needs exact
    levels; ``superseded`` lists ids that a newer computation replaced."""

    def __init__(self) -> None:
        self.results: dict[int, tuple[int, int, dict[str, str]]] = {}
        self.superseded: set[int] = set()

    def add(self, result_id: int, organisation_id: int, attempt_id: int,
            levels: dict[str, str]) -> int:
        self.results[result_id] = (organisation_id, attempt_id, dict(levels))
        return result_id

    def __call__(self, db: Any, organisation_id: int, result_id: int) -> Any:
        from toetsbatterij.attests.source import SUPERSEDED
        from toetsbatterij.errors import Conflict, NotFound

        found = self.results.get(result_id)
        if found is None or found[0] != organisation_id:
            raise NotFound(detail=f"result {result_id}")
        if result_id in self.superseded:
            raise Conflict(SUPERSEDED)
        return attempt_facts(db, organisation_id, found[1], result_id=result_id,
                             levels=found[2], inputs_hash="ab" * 32)


def finished_attempt(world: Any, content: Any, tenant: dict[str, Any], i: int = 0) -> Any:
    if not tenant.get("opened"):
        world.open(tenant)
        tenant["opened"] = True
    return take_attempt(world, content, tenant, i)


def second_admin(world: Any, tenant: dict[str, Any]) -> int:
    slug = tenant["domain"].split(".")[0]
    account = accounts.create_account(
        world.db, world.clock, organisation_id=tenant["org"], email=f"admin2@{slug}.test",
        display_name=f"Tweede beheerder {slug}", role="agency_admin",
        password="correct horse battery staple")
    world.db.commit()
    return account.id


def issue(world: Any, signer: Any, results: FakeResults, tenant: dict[str, Any],
          result_id: int, **kw: Any) -> Any:
    attest = service.issue(world.db, world.clock, signer, organisation_id=tenant["org"],
                           actor_id=kw.pop("actor_id", tenant["staff"]["agency_admin"]),
                           result_id=result_id, base_url=BASE_URL, loader=results, **kw)
    world.db.commit()
    return attest


def name_candidate(world: Any, candidate_id: int, first: str, last: str,
                   birth: dt.date | None = None) -> None:
    from toetsbatterij.delivery.models import Candidate

    cand = world.db.get(Candidate, candidate_id)
    cand.first_name, cand.last_name = first, last
    if birth is not None:
        cand.birth_date = birth
    world.db.commit()
