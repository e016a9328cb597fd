"""Helpers of the attest tests (imported as ``attest_support``): a finished attempt with a
result to issue from, and the issue call with the test signer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from delivery_support import take_attempt

from toetsbatterij.accounts import service as accounts
from toetsbatterij.attests import service

BASE_URL = "https://attest.test"
LEVELS = {"reading": "A2", "listening": "B1", "writing": "A2", "speaking": "A2"}


class FakeResults:
    """Frozen results (``results.models.Result`` rows) with exact levels, written directly
    where a test needs them (``results.service.freeze`` computes levels from the responses;
    ``tests/web/test_attests_web.py`` issues from such a result too). ``supersede`` stands in
    for a correction. The attest service reads them through its real loader."""

    def __init__(self, db: Any, clock: Any) -> None:
        self.db, self.clock = db, clock

    def add(self, organisation_id: int, attempt_id: int, levels: dict[str, str],
            revision: int = 1) -> int:
        from toetsbatterij.results.models import Result

        document = {"format": 1, "attempt_id": attempt_id, "organisation_id": organisation_id,
                    "skills": [{"section_index": i, "skill": skill, "level": level}
                               for i, (skill, level) in enumerate(levels.items())]}
        row = Result(organisation_id=organisation_id, attempt_id=attempt_id, revision=revision,
                     form_version="f" * 64, rules_version="r" * 64, inputs_hash="ab" * 32,
                     fair_scores=False, document=document, frozen_at=self.clock.now(),
                     created_by_id=None, supersede_reason="")
        self.db.add(row)
        self.db.commit()
        return row.id

    def supersede(self, result_id: int) -> int:
        from toetsbatterij.results.models import Result

        old = self.db.get(Result, result_id)
        levels = {e["skill"]: e["level"] for e in old.document["skills"]}
        new_id = self.add(old.organisation_id, old.attempt_id, levels, old.revision + 1)
        old.superseded_by_id, old.supersede_reason = new_id, "correctie"
        self.db.commit()
        return new_id


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


def issue(world: Any, signer: Any, results: FakeResults | None, tenant: dict[str, Any],
          result_id: int, **kw: Any) -> Any:
    attest = service.issue(world.db, world.clock, signer, organisation_id=tenant["org"],
                           actor_id=kw.pop("actor_id", tenant["staff"]["agency_admin"]),
                           result_id=result_id, base_url=BASE_URL, **kw)
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
