"""Nothing secret reaches the candidate: every unit of the bank (every item type, testlets,
audio, practice, pretest, rated) rendered as the candidate gets it, HTML and JSON."""

import json
import re

from bankfixture import SECRET_MARKERS
from sqlalchemy import select

from toetsbatterij.delivery.models import Attempt, Presentation

FORBIDDEN_KEYS = {"key", "accepted", "parameters", "rubric", "transcript", "script", "feedback",
                  "provenance", "notes", "a", "b", "c", "thresholds", "normalisation"}


def walk_keys(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from walk_keys(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk_keys(v)


def secrets_of(item):
    """Values that identify the right answer of an item when they appear in the page."""
    d = item.definition
    out = []
    if item.type == "text_entry":
        out += [a for g in d["gaps"] for a in g["accepted"]]
    if item.type == "matching":
        out.append(json.dumps(d["key"]))
    if item.type in ("ordering", "multiple_response"):
        out.append(json.dumps(d["key"]))
    return out


BANK_ID = re.compile(r"\b[A-Z]{1,3}-(?:A1|A2|B1|B2|C1|C2)-[A-Z0-9-]+")
LEVEL = re.compile(r"\b(?:A1|A2|B1|B2|C1|C2)\b")
ATTRIBUTE = re.compile(r'\b(?:name|value|id|for|data-[a-z-]+)="([^"]*)"')


def assert_nothing_guessable(page, content):
    """No bank id (it names the level), no level and no bank option/gap/source/target id in
    any attribute of a candidate page or JSON: every name and value is opaque."""
    ids = set(content.items) | set(content.units)
    assert not BANK_ID.search(page), BANK_ID.search(page).group(0)
    assert not any(i in page for i in ids), [i for i in ids if i in page]
    for value in ATTRIBUTE.findall(page):
        assert not LEVEL.search(value), value
        for part in value.split("."):
            if part.startswith("r") or not part:
                continue
            # every item-derived name or value is an x + 16 hex digits opaque id
            assert not re.fullmatch(r"[A-Z]|[a-z]\d+|g\d+", part), (value, part)


def test_no_key_rubric_or_parameter_in_any_candidate_page(app, world, content, db_session):
    world.open(world.a)
    client = app.test_client()
    client.post("/aanmelden", data={"session_code": world.a["session_code"],
                                    "access_code": world.a["access_codes"][0]})
    client.post("/toets/verder", data={"step": "practice"})
    # the microphone check is done: the speaking task itself is shown (and searched) too
    client.post("/toets/microfoon", data={"result": "ok"})
    attempt = db_session.scalar(select(Attempt))
    # The POST presented the first practice unit (unanswered); take it back, then present every
    # unit of the bank in turn.
    db_session.delete(db_session.scalar(select(Presentation).where(
        Presentation.attempt_id == attempt.id)))
    db_session.commit()
    units = sorted(content.units)
    types_seen = set()
    for position, unit_id in enumerate(units):
        # The attempt runs on a form that holds the unit (every unit of every form is shown).
        attempt.form_version = next(f.version for f in content.current.values()
                                    if unit_id in f.unit_ids())
        db_session.add(Presentation(attempt_id=attempt.id, section_index=-1, position=position,
                                    kind="practice", unit_id=unit_id,
                                    item_ids=content.item_ids(unit_id),
                                    presented_at=world.clock.now()))
        db_session.commit()
        view = content.candidate_view(unit_id, attempt.seed)
        assert not (set(walk_keys(view)) & FORBIDDEN_KEYS), (unit_id, set(walk_keys(view)))
        pages = [client.get("/toets").get_data(as_text=True),
                 client.get("/toets/status.json").get_data(as_text=True)]
        html = pages[0]
        assert unit_id in {content.unit_of(i) for i in content.item_ids(unit_id)}
        assert f'value="{db_session.scalar(select(Presentation.id).where(Presentation.unit_id == unit_id))}"' in html
        if view["max_plays"]:
            url = re.search(r'data-play-url="([^"]+)"', html).group(1)
            pages.append(client.post(url).get_data(as_text=True))
        for page in pages:
            assert_nothing_guessable(page, content)
        for item_id in content.item_ids(unit_id):
            item = content.items[item_id]
            types_seen.add(item.type)
            for page in pages:
                for marker in SECRET_MARKERS:
                    assert marker not in page, (unit_id, marker)
                for secret in secrets_of(item):
                    assert secret not in page, (unit_id, secret)
        pres = db_session.scalar(select(Presentation).where(Presentation.unit_id == unit_id))
        pres.answered_at = world.clock.now()
        db_session.commit()
    assert types_seen >= {"single_choice", "multiple_response", "text_entry", "ordering",
                          "matching", "extended_text", "spoken_response"}


def test_two_attempts_see_the_same_unit_under_different_names(app, world):
    """Names are per attempt: one candidate's page tells nothing about another's, and the old
    bank-id form names are not answers."""
    world.open(world.a)
    pages = []
    for i in (0, 1):
        client = app.test_client()
        client.post("/aanmelden", data={"session_code": world.a["session_code"],
                                        "access_code": world.a["access_codes"][i]})
        client.post("/toets/verder", data={"step": "practice"})
        html = client.get("/toets").get_data(as_text=True)
        # Stable on reload (an image's signed media URL and the CSRF token carry the second
        # they were made: two requests may straddle a second).
        def unsigned(page):
            page = re.sub(r"/media/[^\"]+", "/media/-", page)
            return re.sub(r'(data-csrf|name="csrf_token" value)="[^"]+"', r'\1="-"', page)

        assert unsigned(client.get("/toets").get_data(as_text=True)) == unsigned(html)
        pages.append((client, html))
    names = [set(re.findall(r'name="(r\.[^"]+)"', html)) for _, html in pages]
    assert names[0] and names[1] and not names[0] & names[1]
    client, html = pages[0]
    pid = re.search(r'name="presentation_id" value="(\d+)"', html).group(1)
    pres = world.db.get(Presentation, int(pid))
    bank_form = {"presentation_id": pid} | {f"r.{item_id}": "A" for item_id in pres.item_ids}
    assert client.post("/toets/antwoord", data=bank_form).status_code == 302
    from toetsbatterij.delivery.models import Response

    stored = world.db.scalars(select(Response).where(Response.presentation_id == pres.id)).all()
    assert stored and all(r.raw in (None, [], {}) for r in stored)  # unanswered, not "A"
