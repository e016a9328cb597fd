"""Persons across sessions: the same identity document links, a likely match (same names,
normalised, and birth date; another number) is proposed and never merged without a staff
decision, one agency never links to another's persons; person records are checked like
candidates and every change is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from toetsbatterij.audit.models import AuditEntry
from toetsbatterij.delivery import sessions
from toetsbatterij.delivery.identity import format_national_number, make_national_number
from toetsbatterij.delivery.models import Candidate
from toetsbatterij.errors import Conflict, InvalidInput, NotFound
from toetsbatterij.persons import service as persons
from toetsbatterij.persons.models import MATCH_CONFIRMED, MATCH_REJECTED, Person, PersonMatch

BIRTH = dt.date(1988, 4, 12)


def new_session(world, tenant):
    sess = sessions.create_session(
        world.db, world.clock, organisation_id=tenant["org"], actor_id=None,
        location_id=tenant["location"], test_definition_id=world.definitions["lezen-luisteren"].id,
        starts_at=world.clock.now() + dt.timedelta(days=7),
        ends_at=world.clock.now() + dt.timedelta(days=7, hours=4))
    return sess.id


def register(world, tenant, session_id, first="Amina", last="El Idrissi", birth=BIRTH,
             kind="rrn", number=None, country=""):
    number = number or make_national_number(birth, 201)
    cand = sessions.register_candidate(
        world.db, world.clock, organisation_id=tenant["org"], actor_id=tenant["staff"]["proctor"],
        session_id=session_id,
        data=sessions.CandidateInput(first_name=first, last_name=last, birth_date=birth,
                                     id_kind=kind, id_number=number, id_country=country))
    world.db.commit()
    return cand


def count(db, model, *where):
    return db.scalar(select(func.count(model.id)).where(*where))


def test_every_registered_candidate_of_the_world_is_a_person(world):
    cands = world.db.scalars(select(Candidate)).all()
    assert cands and all(c.person_id is not None for c in cands)
    assert count(world.db, Person) == len(cands)


def test_the_same_identity_number_links_to_the_same_person(world):
    first = register(world, world.a, world.a["session"])
    second = register(world, world.a, new_session(world, world.a), first="AMINA",
                      last="el idrissi")
    assert first.person_id is not None and second.person_id == first.person_id
    assert count(world.db, Person, Person.organisation_id == world.a["org"]) == 4
    links = world.db.scalars(select(AuditEntry).where(AuditEntry.action == "person.link")).all()
    assert [(e.object_id, e.details["candidate_id"]) for e in links] == [
        (first.person_id, second.id)]
    assert persons.candidates_of(world.db, world.a["org"], first.person_id) == [first, second]


def test_a_likely_match_is_proposed_and_never_merged_without_confirmation(world):
    first = register(world, world.a, world.a["session"], first="José", last="Martínez",
                     kind="foreign", number="P1234567", country="ES")
    persons_before = count(world.db, Person)
    # Another document (a BIS number now), the same person by name and birth date: spelled
    # without accents, other case, other order.
    second = register(world, world.a, new_session(world, world.a), first="MARTINEZ",
                      last="jose", kind="bis",
                      number=make_national_number(BIRTH, 303, kind="bis"))
    world.db.refresh(second)
    assert second.person_id is None
    assert count(world.db, Person) == persons_before
    proposals = persons.open_matches(world.db, world.a["org"])
    assert [(m.candidate_id, m.person_id) for m in proposals] == [(second.id, first.person_id)]
    person = persons.confirm_match(world.db, world.clock, organisation_id=world.a["org"],
                                   actor_id=world.a["staff"]["proctor"],
                                   match_id=proposals[0].id)
    world.db.commit()
    assert second.person_id == person.id == first.person_id
    assert proposals[0].status == MATCH_CONFIRMED
    # the person's own identity is left as it was (staff change it on the person's page)
    assert (person.id_kind, person.id_number) == ("foreign", "P1234567")
    assert persons.open_matches(world.db, world.a["org"]) == []
    with pytest.raises(Conflict):
        persons.reject_match(world.db, world.clock, organisation_id=world.a["org"],
                             actor_id=None, match_id=proposals[0].id)


def test_a_rejected_match_makes_the_candidate_a_new_person(world):
    first = register(world, world.a, world.a["session"])
    second = register(world, world.a, new_session(world, world.a),
                      number=make_national_number(BIRTH, 555))
    match = persons.open_matches(world.db, world.a["org"], second.id)[0]
    persons.reject_match(world.db, world.clock, organisation_id=world.a["org"], actor_id=None,
                         match_id=match.id)
    world.db.commit()
    assert match.status == MATCH_REJECTED
    assert second.person_id is not None and second.person_id != first.person_id
    person = world.db.get(Person, second.person_id)
    assert person.id_number == second.id_number


def test_two_proposals_one_confirmed_rejects_the_other(world):
    a = persons.create_person(world.db, world.clock, organisation_id=world.a["org"],
                              actor_id=None, data=persons.PersonInput(
                                  "Nadia", "Haddad", BIRTH, "foreign", "AB123456", "MA"))
    b = persons.create_person(world.db, world.clock, organisation_id=world.a["org"],
                              actor_id=None, data=persons.PersonInput(
                                  "Nadia", "Haddad", BIRTH, "foreign", "CD654321", "DZ"))
    cand = register(world, world.a, world.a["session"], first="Nadia", last="Haddad")
    proposals = persons.open_matches(world.db, world.a["org"], cand.id)
    assert {m.person_id for m in proposals} == {a.id, b.id}
    chosen = next(m for m in proposals if m.person_id == b.id)
    persons.confirm_match(world.db, world.clock, organisation_id=world.a["org"], actor_id=None,
                          match_id=chosen.id)
    world.db.commit()
    assert cand.person_id == b.id
    assert {m.person_id: m.status for m in proposals} == {a.id: MATCH_REJECTED,
                                                          b.id: MATCH_CONFIRMED}


def test_other_names_or_another_birth_date_are_no_match(world):
    register(world, world.a, world.a["session"])
    other_name = register(world, world.a, new_session(world, world.a), first="Aminah",
                          number=make_national_number(BIRTH, 401))
    other_birth = register(world, world.a, new_session(world, world.a),
                           birth=dt.date(1988, 4, 13),
                           number=make_national_number(dt.date(1988, 4, 13), 401))
    assert other_name.person_id and other_birth.person_id
    assert persons.open_matches(world.db, world.a["org"]) == []


def test_another_agency_never_links_to_or_sees_the_person(world):
    mine = register(world, world.a, world.a["session"])
    theirs = register(world, world.b, world.b["session"])
    assert theirs.person_id != mine.person_id
    assert world.db.get(Person, theirs.person_id).organisation_id == world.b["org"]
    assert persons.open_matches(world.db, world.b["org"]) == []
    with pytest.raises(NotFound):
        persons.get_person(world.db, world.b["org"], mine.person_id)
    assert mine.person_id not in {p.id for p in persons.list_persons(world.db, world.b["org"])}


def test_the_csv_import_links_and_proposes_too(world):
    register(world, world.a, world.a["session"])
    known = make_national_number(BIRTH, 201)
    text = ("voornaam;achternaam;geboortedatum;identiteit;nummer\n"
            f"Amina;El Idrissi;12/04/1988;rrn;{known}\n"
            f"Amina;El-Idrissi;12/04/1988;rrn;{make_national_number(BIRTH, 777)}\n"
            "Yusuf;Demir;01/02/1990;buitenlands;TR998877\n")
    report = sessions.import_candidates_csv(world.db, world.clock, organisation_id=world.a["org"],
                                            actor_id=None, session_id=new_session(world, world.a),
                                            text=text.replace("buitenlands;TR998877",
                                                              "rrn;" + make_national_number(
                                                                  dt.date(1990, 2, 1), 12)))
    world.db.commit()
    assert report.ok
    linked, proposed, fresh = report.created
    original = persons.find_by_identity(world.db, world.a["org"], "rrn", known)
    assert linked.person_id == original.id
    assert proposed.person_id is None
    assert [m.person_id for m in persons.open_matches(world.db, world.a["org"], proposed.id)] \
        == [original.id]
    assert fresh.person_id is not None and fresh.person_id != original.id


def test_person_records_are_checked_like_candidates(world):
    def create(**kw):
        data = dict(first_name="Fatma", last_name="Yilmaz", birth_date="1995-07-21",
                    id_kind="rrn", id_number=make_national_number(dt.date(1995, 7, 21), 9))
        data.update(kw)
        return persons.create_person(world.db, world.clock, organisation_id=world.a["org"],
                                     actor_id=world.a["staff"]["agency_admin"],
                                     data=persons.PersonInput(**data))

    for bad, field in ((dict(id_number="95072100901"), "id_number"),
                       (dict(id_kind="foreign", id_number="X1234", id_country=""), "id_country"),
                       (dict(first_name=""), "first_name"),
                       (dict(birth_date="2030-01-01"), "birth_date"),
                       (dict(email="geen adres"), "email"),
                       (dict(phone="bel me"), "phone"),
                       (dict(instruction_language="xx"), "instruction_language")):
        with pytest.raises(InvalidInput) as err:
            create(**bad)
        assert err.value.field == field, bad
    person = create(email="Fatma@Example.BE", phone="+32 470 12 34 56",
                    id_number=format_national_number(make_national_number(
                        dt.date(1995, 7, 21), 9)))
    assert person.email == "fatma@example.be" and len(person.id_number) == 11
    with pytest.raises(InvalidInput) as err:
        create()
    assert err.value.field == "id_number"  # the same document is one person


def test_an_edit_is_audited_with_the_field_names_only(world):
    person = world.db.scalars(select(Person).where(Person.organisation_id == world.a["org"])
                              ).first()
    persons.update_person(world.db, world.clock, organisation_id=world.a["org"],
                          actor_id=world.a["staff"]["agency_admin"], person_id=person.id,
                          data=persons.PersonInput(person.first_name, "Nieuwenaam",
                                                   person.birth_date, person.id_kind,
                                                   person.id_number, email="a@b.be"))
    world.db.commit()
    entry = world.db.scalars(select(AuditEntry).where(AuditEntry.action == "person.update")).one()
    assert entry.details == {"fields": ["email", "last_name"]}
    assert "Nieuwenaam" not in str(entry.details)
    with pytest.raises(NotFound):
        persons.update_person(world.db, world.clock, organisation_id=world.b["org"],
                              actor_id=None, person_id=person.id,
                              data=persons.PersonInput("x", "y", person.birth_date,
                                                       person.id_kind, person.id_number))


def test_names_are_normalised_for_matching():
    assert persons.normalised_name("José", "Martínez") == persons.normalised_name("MARTINEZ",
                                                                                   "jose")
    assert persons.normalised_name("Jean-Pierre", "D'Hondt") == \
        persons.normalised_name("jean pierre", "d hondt")
    assert persons.normalised_name("Mohamed", "Ali") != persons.normalised_name("Mohammed",
                                                                                 "Ali")


def test_matches_are_scoped_to_their_agency(world):
    register(world, world.a, world.a["session"])
    cand = register(world, world.a, new_session(world, world.a),
                    number=make_national_number(BIRTH, 611))
    match = world.db.scalars(select(PersonMatch).where(PersonMatch.candidate_id == cand.id)).one()
    with pytest.raises(NotFound):
        persons.confirm_match(world.db, world.clock, organisation_id=world.b["org"],
                              actor_id=None, match_id=match.id)
