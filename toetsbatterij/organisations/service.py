"""Use-cases for organisations and locations. Every query is scoped by organisation."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from toetsbatterij.audit.service import record
from toetsbatterij.clock import Clock
from toetsbatterij.errors import InvalidInput, NotFound
from toetsbatterij.i18n import N_
from toetsbatterij.organisations.models import Location, Organisation
from toetsbatterij.textinput import clean_text

# The four agencies that attest Dutch levels (DOMAIN.md §1); seeded as data, not code paths.
AGENCIES = (
    ("agii", "Agentschap Integratie en Inburgering"),
    ("antwerpen", "Atlas, integratie en inburgering Antwerpen"),
    ("gent", "IN-Gent, integratie en inburgering Gent"),
    ("hvn-brussel", "Huis van het Nederlands Brussel"),
)


def seed_agencies(db: Session) -> list[Organisation]:
    """Create the four agencies if they are missing (idempotent)."""
    existing = {o.code: o for o in db.scalars(select(Organisation))}
    out = []
    for code, name in AGENCIES:
        org = existing.get(code)
        if org is None:
            org = Organisation(code=code, name=name)
            db.add(org)
        out.append(org)
    db.flush()
    return out


def get_organisation(db: Session, code: str) -> Organisation:
    org = db.scalar(select(Organisation).where(Organisation.code == code))
    if org is None:
        raise NotFound(detail=f"organisation {code}")
    return org


def list_locations(db: Session, organisation_id: int) -> list[Location]:
    return list(db.scalars(select(Location).where(Location.organisation_id == organisation_id)
                           .order_by(Location.name)))


def get_location(db: Session, organisation_id: int, location_id: int) -> Location:
    loc = db.scalar(select(Location).where(Location.id == location_id,
                                           Location.organisation_id == organisation_id))
    if loc is None:
        raise NotFound(detail=f"location {location_id} in organisation {organisation_id}")
    return loc


def add_location(db: Session, organisation_id: int, *, name: str, address: str = "",
                 capacity: int = 20) -> Location:
    name = clean_text(name, field="name", label=N_("Naam"), max_length=200)
    if not name:
        raise InvalidInput("Geef de naam van het toetslokaal.", field="name")
    address = clean_text(address, field="address", label=N_("Adres"), max_length=300)
    if not 1 <= capacity <= 500:
        raise InvalidInput("De capaciteit moet tussen 1 en 500 liggen.", field="capacity")
    loc = Location(organisation_id=organisation_id, name=name, address=address,
                   capacity=capacity)
    db.add(loc)
    db.flush()
    return loc


def create_location(db: Session, clock: Clock, organisation_id: int, *, actor_id: int | None,
                    name: str, address: str = "", capacity: int = 20) -> Location:
    """An agency admin adds an exam room (audited)."""
    loc = add_location(db, organisation_id, name=name, address=address, capacity=capacity)
    record(db, clock, organisation_id=organisation_id, actor_id=actor_id,
                 action="location.create", object_type="location", object_id=loc.id)
    return loc
