"""CSV exports of an agency's trajectories and certificates (``toetsbatterij.csvfiles``: every
cell formula-injection safe). Staff-only files with personal data: the routes are for agency
admins, and each download is audited."""

from __future__ import annotations

import datetime as dt
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from toetsbatterij import csvfiles
from toetsbatterij.accounts.models import StaffAccount
from toetsbatterij.attests.models import Attest
from toetsbatterij.audit.service import record
from toetsbatterij.clock import Clock
from toetsbatterij.persons.models import Person
from toetsbatterij.trajectories import certificates
from toetsbatterij.trajectories import service as trajectories
from toetsbatterij.trajectories.models import CivicCertificate

TRAJECTORY_COLUMNS = (
    "traject", "persoon", "voornaam", "achternaam", "geboortedatum", "soort", "rechtsgrond",
    "begindatum", "trajectbegeleider", "afgesloten", "mo_status", "nt2_status",
    "nt2_aanbieder", "nt2_cursusniveau", "nt2_doelniveau", "nt2_attest", "loopbaan_status",
    "participatie_status", "inburgeringsattest", "ontbreekt")
CERTIFICATE_COLUMNS = (
    "nummer", "soort", "traject", "persoon", "voornaam", "achternaam", "geboortedatum",
    "beslissingsdatum", "regelversie", "uitgereikt", "uitgereikt_door")
_STATUS_COLUMN = {"mo": "mo_status", "nt2": "nt2_status", "career": "loopbaan_status",
                  "participation": "participatie_status"}


def _names(db: Session, organisation_id: int) -> dict[int, str]:
    return {a.id: a.display_name for a in db.scalars(
        select(StaffAccount).where(StaffAccount.organisation_id == organisation_id))}


def write_trajectories(fh: IO[str], db: Session, clock: Clock, *, organisation_id: int,
                       actor_id: int | None, on: dt.date) -> int:
    """One row per trajectory of the agency; ``ontbreekt`` is what the rule in force on ``on``
    still misses for the certificate."""
    out = csvfiles.writer(fh, delimiter=";")
    out.writerow(TRAJECTORY_COLUMNS)
    staff = _names(db, organisation_id)
    count = 0
    for trajectory in trajectories.list_trajectories(db, organisation_id):
        person = db.get(Person, trajectory.person_id)
        row = dict.fromkeys(TRAJECTORY_COLUMNS, "")
        row.update({"traject": trajectory.id, "persoon": person.id,
                    "voornaam": person.first_name, "achternaam": person.last_name,
                    "geboortedatum": "" if person.erased_at else person.birth_date.isoformat(),
                    "soort": trajectory.kind, "rechtsgrond": trajectory.legal_ground,
                    "begindatum": trajectory.start_date.isoformat(),
                    "trajectbegeleider": staff.get(trajectory.counsellor_id or 0, ""),
                    "afgesloten": trajectory.closed_at.date().isoformat()
                    if trajectory.closed_at else ""})
        for component in trajectories.components(db, trajectory.id):
            if component.kind in _STATUS_COLUMN:
                row[_STATUS_COLUMN[component.kind]] = component.status
            if component.kind == "nt2":
                details = component.details or {}
                attest = db.get(Attest, component.attest_id) if component.attest_id else None
                row.update({"nt2_aanbieder": " ".join(filter(None, (
                    str(details.get("provider_type", "")).upper(),
                    str(details.get("provider_name", ""))))),
                    "nt2_cursusniveau": details.get("course_level", ""),
                    "nt2_doelniveau": component.goal_level,
                    "nt2_attest": attest.number if attest else ""})
        issued = [c for c in certificates.of_trajectory(db, organisation_id, trajectory.id)
                  if c.kind == "certificate"]
        row["inburgeringsattest"] = issued[0].number if issued else ""
        if not issued:
            check = trajectories.certificate_check(db, trajectory, on)
            row["ontbreekt"] = " ".join(certificates.describe_missing(check))
        out.writerow(row[c] for c in TRAJECTORY_COLUMNS)
        count += 1
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="trajectory.export", object_type="organisation", object_id=organisation_id,
           count=count)
    return count


def write_certificates(fh: IO[str], db: Session, clock: Clock, *, organisation_id: int,
                       actor_id: int | None) -> int:
    out = csvfiles.writer(fh, delimiter=";")
    out.writerow(CERTIFICATE_COLUMNS)
    staff = _names(db, organisation_id)
    rows: list[CivicCertificate] = certificates.list_certificates(db, organisation_id)
    for row in rows:
        holder = row.holder or {}
        out.writerow([row.number, row.kind, row.trajectory_id, row.person_id,
                      holder.get("first_name", ""), holder.get("last_name", ""),
                      holder.get("birth_date", ""), row.decision_date.isoformat(),
                      row.rules_version, row.issued_at.isoformat(),
                      staff.get(row.issued_by_id, "")])
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
           action="certificate.export", object_type="organisation", object_id=organisation_id,
           count=len(rows))
    return len(rows)


