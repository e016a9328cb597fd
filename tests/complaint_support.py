"""Helpers of the complaint tests (imported as ``complaint_support``): a rated, frozen, released
and attested writing + speaking result of a tenant, with its two raters and a senior, and the
decision tools of the complaint service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from attest_support import BASE_URL, second_admin
from rating_support import finished_attempt, rate_all, rater

from toetsbatterij.attests import keys
from toetsbatterij.attests import service as attests
from toetsbatterij.complaints import service
from toetsbatterij.rating import service as rating
from toetsbatterij.reports import service as reports
from toetsbatterij.results import service as results
from toetsbatterij.results.rules import ScoringRules


@dataclass
class Rated:
    attempt: Any
    result: Any
    attest: Any
    raters: list[Any]
    admin: int
    admin2: int
    tools: service.Tools


def rated_result(world: Any, content: Any, storage: Any, tenant: dict[str, Any], *,
                 signer: Any = None, slug: str = "", value: int = 1) -> Rated:
    """A candidate of ``tenant`` takes the writing + speaking test; two raters rate every
    production ``value``; the result is frozen, released and its attest issued."""
    attempt = finished_attempt(world, content, storage, tenant)
    first = rater(world, tenant, f"eerste{slug}")
    second = rater(world, tenant, f"tweede{slug}")
    rate_all(world, content, first, value)
    rate_all(world, content, second, value)
    result = results.freeze(world.db, world.clock, content, attempt, rating.resolutions,
                            ScoringRules())
    admin = tenant["staff"]["agency_admin"]
    reports.release(world.db, world.clock, organisation_id=tenant["org"],
                    result_ids=[result.id], actor_id=admin)
    signer = signer or keys.Signer.generate()
    attest = attests.issue(world.db, world.clock, signer, organisation_id=tenant["org"],
                           actor_id=admin, result_id=result.id, base_url=BASE_URL)
    world.db.commit()
    admin2 = second_admin(world, tenant)
    return Rated(attempt, result, attest, [first, second], admin, admin2,
                 service.Tools(forms=content, signer=signer, base_url=BASE_URL))


def complaint(world: Any, content: Any, rated: Rated, tenant: dict[str, Any], *,
              skills: tuple[str, ...] = ("writing",), actor: str = "agency_admin") -> Any:
    row = service.record_complaint(
        world.db, world.clock, content, organisation_id=tenant["org"],
        actor_id=tenant["staff"][actor], attempt_id=rated.attempt.id, subject="result",
        skills=list(skills), channel="letter", received_on=None,
        text="Ik denk dat mijn brief beter was dan A1.", contact="kandidaat@example.test")
    world.db.commit()
    return row
