"""Helpers of the partner API tests: persons and trajectories written with the models (their
services are built elsewhere), partners with tokens and shares through the partner service,
and an attest issued the real way for a person."""

from __future__ import annotations

import datetime as dt
from typing import Any

from toetsbatterij.delivery.identity import make_national_number
from toetsbatterij.partners import service
from toetsbatterij.persons.models import Person
from toetsbatterij.trajectories.models import ComponentEvent, Trajectory, TrajectoryComponent


def person(world: Any, org_id: int, first: str = "Amina", last: str = "El Idrissi",
           birth: dt.date = dt.date(1990, 5, 17), serial: int = 101) -> Person:
    row = Person(organisation_id=org_id, first_name=first, last_name=last, birth_date=birth,
                 id_kind="rrn", id_number=make_national_number(birth, serial), id_country="",
                 email="", phone="", instruction_language="nl", created_at=world.clock.now(),
                 created_by_id=None, erased_at=None)
    world.db.add(row)
    world.db.commit()
    return row


def trajectory(world: Any, who: Person, statuses: dict[str, str] | None = None, *,
               goal: str = "A2", attest_id: int | None = None, result_id: int | None = None,
               start: dt.date = dt.date(2026, 1, 5)) -> Trajectory:
    """A trajectory with one component per kind in ``statuses`` (kind -> latest status), each
    with a 'planned' event on the start date and the latest status a month later."""
    statuses = {"mo": "passed", "nt2": "started"} if statuses is None else statuses
    now = world.clock.now()
    traj = Trajectory(organisation_id=who.organisation_id, person_id=who.id, kind="obliged",
                      legal_ground="Inburgeringsdecreet", start_date=start, counsellor_id=None,
                      created_at=now, created_by_id=None, closed_at=None, close_reason="")
    world.db.add(traj)
    world.db.flush()
    for kind, status in statuses.items():
        comp = TrajectoryComponent(
            organisation_id=who.organisation_id, trajectory_id=traj.id, kind=kind,
            details={"course_level": "1.2"} if kind == "nt2" else {},
            goal_level=goal if kind == "nt2" else "",
            attest_id=attest_id if kind == "nt2" else None,
            result_id=result_id if kind == "nt2" else None, status=status, created_at=now)
        world.db.add(comp)
        world.db.flush()
        for occurred, st in ((start, "planned"), (start + dt.timedelta(days=31), status)):
            world.db.add(ComponentEvent(organisation_id=who.organisation_id,
                                        component_id=comp.id, status=st, occurred_on=occurred,
                                        note="", recorded_at=now, recorded_by_id=None))
    world.db.commit()
    return traj


def partner(world: Any, org_id: int, scopes: list[str], name: str = "VDAB",
            kind: str = "work") -> tuple[Any, str]:
    """A partner with ``scopes`` and one token: (partner, the token's secret)."""
    row = service.create_partner(world.db, world.clock, organisation_id=org_id, actor_id=None,
                                 name=name, kind=kind, scopes=scopes)
    made = service.create_token(world.db, world.clock, organisation_id=org_id, actor_id=None,
                                partner_id=row.id, label="test")
    world.db.commit()
    return row, made.secret


def share(world: Any, partner_row: Any, who: Person) -> str:
    """Share ``who`` with the partner; returns the person's id for the partner."""
    row = service.share(world.db, world.clock, organisation_id=partner_row.organisation_id,
                        actor_id=None, partner_id=partner_row.id, person_id=who.id)
    world.db.commit()
    return row.person_ref


def attest_for(app: Any, world: Any, content: Any, tenant: dict[str, Any], who: Person,
               i: int = 0, levels: dict[str, str] | None = None) -> Any:
    """An attest issued (really, signed) from a result of candidate ``i`` of the tenant, whose
    candidate is linked to ``who``."""
    from attest_support import LEVELS, FakeResults, finished_attempt
    from attest_support import issue as issue_attest

    from toetsbatterij.delivery.models import Candidate

    attempt = finished_attempt(world, content, tenant, i)
    cand = world.db.get(Candidate, attempt.candidate_id)
    cand.person_id = who.id
    world.db.commit()
    result_id = FakeResults(world.db, world.clock).add(tenant["org"], attempt.id,
                                                       levels or LEVELS)
    return issue_attest(world, app.extensions["toetsbatterij"].signer, None, tenant, result_id)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
