"""Accommodations per candidate, applied by the server: extra time, extra audio plays, a longer
speaking preparation, larger text (the flag; the page class is tested in tests/web)."""

import pytest
from sqlalchemy import select

from toetsbatterij.audit.models import AuditEntry
from toetsbatterij.delivery import accommodations, attempts, sessions
from toetsbatterij.errors import Conflict, InvalidInput, NotFound


def _listening_practice(world, content, cand):
    """Log ``cand`` in and walk the practice block to its first unit with audio."""
    world.open(world.a)
    _, attempt, _ = attempts.candidate_login(world.db, world.clock,
                                             session_code=world.a["session_code"],
                                             access_code=cand.access_code, device_token=None)
    attempts.start_practice(world.db, world.clock, attempt)
    for _ in range(5):
        scr = attempts.advance(world.db, world.clock, content, attempt)
        if content.max_plays(scr.presentation.unit_id):
            world.db.commit()
            return attempt, scr
        answers = {i: content.items[i].itype.full_credit_responses(
            content.items[i].definition)[0] for i in scr.presentation.item_ids}
        attempts.submit(world.db, world.clock, content, attempt,
                        presentation_id=scr.presentation.id, responses=answers)
    raise AssertionError("no listening unit in the practice block")


@pytest.mark.parametrize("extra", [1, 2])
def test_extra_audio_plays_are_counted_by_the_server(world, content, extra):
    cand = world.candidate(world.a["org"], world.a["session"], 5, extra_audio_plays=extra)
    attempt, scr = _listening_practice(world, content, cand)
    base = content.max_plays(scr.presentation.unit_id)
    assert base == 2 and scr.view["max_plays"] == base + extra  # the screen shows them too
    left = [attempts.register_audio_play(world.db, world.clock, content, attempt, scr.presentation.id)
            for _ in range(base + extra)]
    assert left == list(range(base + extra - 1, -1, -1))
    with pytest.raises(Conflict):
        attempts.register_audio_play(world.db, world.clock, content, attempt, scr.presentation.id)


def test_without_the_accommodation_the_plays_stay_at_the_items_maximum(world, content):
    cand = world.candidate(world.a["org"], world.a["session"], 5)
    attempt, scr = _listening_practice(world, content, cand)
    assert scr.view["max_plays"] == 2
    for _ in range(2):
        attempts.register_audio_play(world.db, world.clock, content, attempt, scr.presentation.id)
    with pytest.raises(Conflict):
        attempts.register_audio_play(world.db, world.clock, content, attempt, scr.presentation.id)


def test_a_unit_without_audio_gets_no_plays_from_the_accommodation():
    assert accommodations.Accommodations(extra_audio_plays=2).max_plays(0) == 0


def test_speaking_preparation_for_the_candidate(world):
    cand = world.candidate(world.a["org"], world.a["session"], 5, speaking_prep_percent=50)
    world.db.commit()
    found = accommodations.for_candidate(world.db, cand.id)
    assert found.speaking_prep_percent == 50
    assert found.preparation_seconds(30) == 45
    assert found.preparation_seconds(25) == 38  # rounded up: never less than the percentage
    assert accommodations.for_candidate(world.db, world.a["candidates"][0]
                                        ).preparation_seconds(30) == 30
    assert accommodations.for_candidate(world.db, 999_999) == accommodations.Accommodations()


def test_extra_time_and_larger_text_are_stored_at_registration(world):
    cand = world.candidate(world.a["org"], world.a["session"], 5, extra_time_percent="25",
                           larger_text="ja")
    assert accommodations.of(cand) == accommodations.Accommodations(
        extra_time_percent=25, larger_text=True)
    assert accommodations.of(cand).time_limit_seconds(1200) == 1500


@pytest.mark.parametrize(("values", "field"), [
    ({"extra_time_percent": "101"}, "extra_time_percent"),
    ({"extra_time_percent": "veel"}, "extra_time_percent"),
    ({"extra_audio_plays": "3"}, "extra_audio_plays"),
    ({"extra_audio_plays": "-1"}, "extra_audio_plays"),
    ({"speaking_prep_percent": "150"}, "speaking_prep_percent"),
    ({"larger_text": "misschien"}, "larger_text"),
])
def test_wrong_values_are_refused_with_their_field(values, field):
    with pytest.raises(InvalidInput) as err:
        accommodations.clean(**values)
    assert err.value.field == field and err.value.message


def test_changes_are_audited_with_old_and_new_values(world):
    cid = world.a["candidates"][0]
    accommodations.update(world.db, world.clock, organisation_id=world.a["org"], actor_id=None,
                          candidate_id=cid, extra_time_percent="10", larger_text=True,
                          extra_audio_plays="1", speaking_prep_percent="20")
    entry = world.db.scalar(select(AuditEntry).where(
        AuditEntry.action == "candidate.accommodations", AuditEntry.object_id == cid))
    assert entry.details["changes"] == {"extra_time_percent": [0, 10], "larger_text": [False, True],
                                        "extra_audio_plays": [0, 1],
                                        "speaking_prep_percent": [0, 20]}
    # saving the same values again records nothing new
    accommodations.update(world.db, world.clock, organisation_id=world.a["org"], actor_id=None,
                          candidate_id=cid, extra_time_percent="10", larger_text=True,
                          extra_audio_plays="1", speaking_prep_percent="20")
    assert len(world.db.scalars(select(AuditEntry).where(
        AuditEntry.action == "candidate.accommodations")).all()) == 1
    with pytest.raises(NotFound):  # another agency's candidate
        accommodations.update(world.db, world.clock, organisation_id=world.b["org"],
                              actor_id=None, candidate_id=cid)


def test_csv_import_takes_the_accommodation_columns(world):
    text = ("voornaam;achternaam;geboortedatum;identiteit;nummer;land;taal;extra_tijd;"
            "grote_tekst;extra_beluisteren;extra_voorbereiding\n"
            "Ana;Lopez;01/02/1990;buitenlands;ES123456;ES;es;10;ja;2;50\n"
            "Piet;Peeters;01/02/1991;buitenlands;NL123456;NL;nl;;;;\n")
    report = sessions.import_candidates_csv(world.db, world.clock, organisation_id=world.a["org"],
                                            actor_id=None, session_id=world.a["session"],
                                            text=text)
    assert report.ok, report.errors
    ana, piet = sorted(report.created, key=lambda c: c.first_name)
    assert accommodations.of(ana) == accommodations.Accommodations(10, True, 2, 50)
    assert accommodations.of(piet) == accommodations.Accommodations()
    bad = sessions.import_candidates_csv(
        world.db, world.clock, organisation_id=world.a["org"], actor_id=None,
        session_id=world.a["session"],
        text=text.splitlines()[0] + "\nJan;Jansen;01/02/1992;buitenlands;BE999999;FR;nl;0;ja;5;0\n")
    assert [(line, field) for line, field, _ in bad.errors] == [(2, "extra_audio_plays")]
