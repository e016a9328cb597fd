"""Helpers shared by the delivery, web and browser tests (imported as ``delivery_support``;
never import from ``conftest``: several test folders have one)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from toetsbatterij.accounts import service as accounts
from toetsbatterij.accounts.models import ROLES
from toetsbatterij.clock import FrozenClock
from toetsbatterij.delivery import attempts, definitions, proctoring, sessions
from toetsbatterij.delivery.forms import FormStore
from toetsbatterij.delivery.identity import make_national_number
from toetsbatterij.items.errors import UnknownContent
from toetsbatterij.organisations import service as organisations

PASSWORD = "correct horse battery staple"


class BankForms(FormStore):
    """The platform's form store with look-ups by unit or item over every current form (the
    same unit is the same on every form): what tests ask when they fill in a screen."""

    @property
    def items(self) -> dict[str, Any]:
        return {i: item for form in self.current.values() for i, item in form.items.items()}

    @property
    def units(self) -> dict[str, Any]:
        return {u: form.unit(u) for form in self.current.values() for u in form.unit_ids()}

    def _form_with(self, unit_id: str) -> Any:
        form = next((f for f in self.current.values() if unit_id in f.unit_ids()), None)
        if form is None:
            raise UnknownContent(detail=f"unknown unit {unit_id}")
        return form

    def unit_of(self, item_id: str) -> str:
        form = next((f for f in self.current.values() if item_id in f.items), None)
        if form is None:
            raise UnknownContent(detail=f"unknown item {item_id}")
        return form.unit_of(item_id)

    def candidate_view(self, unit_id: str, seed: int) -> dict[str, Any]:
        return self._form_with(unit_id).candidate_view(unit_id, seed)

    def item_ids(self, unit_id: str) -> list[str]:
        return self._form_with(unit_id).item_ids(unit_id)

    def score(self, item_id: str, raw: Any) -> float | None:
        return self._form_with(self.unit_of(item_id)).score(item_id, raw)

    def feedback(self, unit_id: str) -> str:
        return self._form_with(unit_id).feedback(unit_id)

    def max_plays(self, unit_id: str) -> int:
        return self._form_with(unit_id).max_plays(unit_id)


def open_forms(bank_path: Path, asset_dir: Path | None = None) -> BankForms:
    """The forms of the bank at ``bank_path``; snapshot assets beside it unless told."""
    bank_path = Path(bank_path)
    return BankForms(bank_path, asset_dir or bank_path.parent / "form-assets")
START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


class World:
    """Seeded data: two agencies, each with a location, one account per role, a session opened
    at START with candidates. ``world.a`` / ``world.b`` are dicts of ids."""

    def __init__(self, db: Any, clock: FrozenClock, content: Any) -> None:
        self.db, self.clock = db, clock
        defs = definitions.sync_forms(db, clock, content)
        self.definitions = {d.code: d for d in defs}
        orgs = organisations.seed_agencies(db)
        self.a = self._tenant(orgs[1], "antwerpen")
        self.b = self._tenant(orgs[2], "gent")
        db.commit()

    def _tenant(self, org: Any, slug: str) -> dict[str, Any]:
        loc = organisations.add_location(self.db, org.id, name=f"Lokaal {slug}")
        staff = {role: accounts.create_account(
            self.db, self.clock, organisation_id=org.id, email=f"{role}@{slug}.test",
            display_name=f"{role} {slug}", role=role, password=PASSWORD).id for role in ROLES}
        sess = sessions.create_session(
            self.db, self.clock, organisation_id=org.id, actor_id=None, location_id=loc.id,
            test_definition_id=self.definitions["lezen-luisteren"].id,
            starts_at=self.clock.now() - dt.timedelta(minutes=30),
            ends_at=self.clock.now() + dt.timedelta(hours=8))
        cands = [self.candidate(org.id, sess.id, i) for i in range(3)]
        return {"org": org.id, "domain": f"{slug}.test", "location": loc.id, "staff": staff, "session": sess.id,
                "session_code": sess.code, "candidates": [c.id for c in cands],
                "access_codes": [c.access_code for c in cands]}

    def candidate(self, org_id: int, session_id: int, i: int, *, admit: bool = True,
                  **extra: Any) -> Any:
        birth = dt.date(1980 + i, 1 + i % 12, 10 + i)
        data = sessions.CandidateInput(first_name=f"Kandidaat{i}", last_name=f"Achternaam{i}",
                                       birth_date=birth, id_kind="rrn",
                                       id_number=make_national_number(birth, 100 + 2 * i + org_id),
                                       **extra)
        cand = sessions.register_candidate(self.db, self.clock, organisation_id=org_id,
                                           actor_id=None, session_id=session_id, data=data)
        if admit:  # the identity check at the door (admission is tested on its own)
            attempts.admit(self.db, self.clock, cand, actor_id=None)
        return cand

    def open(self, tenant: dict[str, Any], *, admit: bool = True) -> None:
        """Open the session; with ``admit`` the proctor has checked every candidate's identity
        already (the admission itself is tested in tests/delivery/test_admission.py)."""
        sessions.open_session(self.db, self.clock, organisation_id=tenant["org"], actor_id=None,
                              session_id=tenant["session"])
        if admit:
            proctoring.admit_candidates(self.db, self.clock, organisation_id=tenant["org"],
                                        session_id=tenant["session"], candidate_ids=None,
                                        actor_id=None)
        self.db.commit()


def login_staff(client: Any, tenant: dict[str, Any], role: str) -> Any:
    resp = client.post("/beheer/aanmelden",
                       data={"email": f"{role}@{tenant['domain']}", "password": PASSWORD})
    assert resp.status_code == 302, resp.data[:500]
    return resp


def candidate_login(client: Any, tenant: dict[str, Any], i: int = 0) -> Any:
    return client.post("/aanmelden", data={"session_code": tenant["session_code"].lower(),
                                           "access_code": tenant["access_codes"][i]})


def form_for(client: Any, html: str, content: Any) -> dict[str, Any]:
    """Fill in the right answer for every item on the screen, as a browser would post it.

    The page names items and options only by their opaque, per-attempt ids
    (``toetsbatterij.delivery.opaque``); like the server, the helper maps them through the
    attempt (found from the page's presentation id in the app's database)."""
    from toetsbatterij.delivery.models import Attempt, Presentation
    from toetsbatterij.delivery.opaque import OpaqueIds

    pid = re.search(r'name="presentation_id" value="(\d+)"', html).group(1)
    app = client.application
    with app.extensions["toetsbatterij"].session_factory() as db:
        pres = db.get(Presentation, int(pid))
        attempt = db.get(Attempt, pres.attempt_id)
        ids = OpaqueIds(app.config["SECRET_KEY"], attempt.id, attempt.seed)
        item_ids = list(pres.item_ids)
    data: dict[str, Any] = {"presentation_id": pid}
    for item_id in item_ids:
        name = f"r.{ids.of(item_id)}"
        if f'name="{name}' not in html:
            continue
        item = content.items[item_id]
        key = item.itype.full_credit_responses(item.definition)[0] if not item.rated else "tekst"
        if item.type == "extended_text":
            data[name] = key
        elif item.type == "single_choice":
            data[name] = ids.of(item_id, "option", key)
        elif item.type == "multiple_response":
            data[name] = [ids.of(item_id, "option", k) for k in key]
        elif item.type == "text_entry":
            for gap, value in key.items():
                data[f"{name}.{ids.of(item_id, 'gap', gap)}"] = value
        elif item.type == "ordering":
            for i, value in enumerate(key):
                data[f"{name}.{i}"] = ids.of(item_id, "option", value)
        elif item.type == "matching":
            for src, tgt in key.items():
                data[f"{name}.{ids.of(item_id, 'source', src)}"] = ids.of(item_id, "target", tgt)
    return data


def take_attempt(world: World, content: Any, tenant: dict[str, Any], i: int = 0,
                 max_screens: int = 80) -> Any:
    """Log candidate ``i`` of ``tenant`` in through the service and answer every screen with full
    credit until the attempt is finished (or ``max_screens`` have passed); returns the attempt."""
    from toetsbatterij.delivery import attempts

    _, attempt, _ = attempts.candidate_login(
        world.db, world.clock, session_code=tenant["session_code"],
        access_code=tenant["access_codes"][i], device_token=None)
    world.db.commit()
    return answer_until_finished(world, content, attempt, max_screens)


def answer_until_finished(world: World, content: Any, attempt: Any,
                          max_screens: int = 80) -> Any:
    """Answer every screen of a logged-in ``attempt`` with full credit through the service,
    until it is finished (or ``max_screens`` have passed); returns the attempt."""
    from toetsbatterij.delivery import attempts

    for _ in range(max_screens):
        scr = attempts.advance(world.db, world.clock, content, attempt)
        if scr.kind in ("item", "practice"):
            answers = {j: content.items[j].itype.full_credit_responses(
                content.items[j].definition)[0] for j in scr.presentation.item_ids}
            attempts.submit(world.db, world.clock, content, attempt,
                            presentation_id=scr.presentation.id, responses=answers)
        elif scr.kind == "instructions":
            attempts.start_practice(world.db, world.clock, attempt)
        elif scr.kind == "section_intro":
            attempts.start_section(world.db, world.clock, content, attempt, scr.section_number - 1)
        elif scr.kind == "finished":
            break
        world.db.commit()
    world.db.commit()
    return attempt


def admitted_attempt(db: Any, clock: Any, forms: Any, test_code: str, *, first_name: str,
                     last_name: str) -> Any:
    """An attempt of a new, admitted candidate of the first agency on ``test_code`` of
    ``forms`` (definitions synced, a location, an opened session): logged in, not started."""
    definition = {d.code: d for d in definitions.sync_forms(db, clock, forms)}[test_code]
    org = organisations.seed_agencies(db)[1]
    loc = organisations.add_location(db, org.id, name="Lokaal")
    sess = sessions.create_session(db, clock, organisation_id=org.id, actor_id=None,
                                   location_id=loc.id, test_definition_id=definition.id,
                                   starts_at=clock.now() - dt.timedelta(minutes=5),
                                   ends_at=clock.now() + dt.timedelta(hours=8))
    cand = sessions.register_candidate(
        db, clock, organisation_id=org.id, actor_id=None, session_id=sess.id,
        data=sessions.CandidateInput(first_name=first_name, last_name=last_name,
                                     birth_date=dt.date(1990, 4, 12), id_kind="foreign",
                                     id_number="X12345678", id_country="MA"))
    sessions.open_session(db, clock, organisation_id=org.id, actor_id=None, session_id=sess.id)
    proctoring.admit_candidates(db, clock, organisation_id=org.id, session_id=sess.id,
                                candidate_ids=None, actor_id=None)
    _, attempt, _ = attempts.candidate_login(db, clock, session_code=sess.code,
                                             access_code=cand.access_code, device_token=None,
                                             forms=forms)
    return attempt
