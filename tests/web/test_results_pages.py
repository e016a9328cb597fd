"""The result pages: the staff lists per agency and per session with their filters, the CSV,
a result's detail, the release, and the candidate's report (page and PDF) once released.

Roles: the agency admin sees everything (names too) and releases; the psychometrician sees the
numbers without names or birth dates; proctors and raters see no results; one agency never sees
another's."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import numpy as np
import pytest
from delivery_support import candidate_login, login_staff, take_attempt
from pypdf import PdfReader
from sqlalchemy import select

from toetsbatterij.audit.models import AuditEntry
from toetsbatterij.delivery import attempts, sessions
from toetsbatterij.delivery.identity import make_national_number
from toetsbatterij.delivery.models import Candidate, Presentation, Response
from toetsbatterij.i18n import translator
from toetsbatterij.reports.models import ResultRelease
from toetsbatterij.results import service as results
from toetsbatterij.results.rules import ScoringRules

BANK_ID = re.compile(r"\b[A-Z]{1,3}-(?:A1|A2|B1|B2|C1|C2)-[A-Z0-9-]+")


def no_productions(_db, _attempt_id):
    return {}


def finish(world, content, tenant, i, *, resolutions=no_productions):
    """Candidate ``i`` of ``tenant`` takes the whole test (full credit) and gets a result; the
    device is released so that a browser can log in again."""
    attempt = take_attempt(world, content, tenant, i)
    result = results.freeze(world.db, world.clock, content, attempt, resolutions, ScoringRules())
    cand = world.db.get(Candidate, attempt.candidate_id)
    attempts.release_device(world.db, world.clock, cand, actor_id=None)
    world.db.commit()
    return attempt, result


def correct(world, content, result):
    """A correction: one counted answer rescored (as after a key change), a new revision."""
    resp = world.db.scalar(
        select(Response).join(Presentation, Presentation.id == Response.presentation_id)
        .where(Response.attempt_id == result.attempt_id, Response.counts.is_(True),
               Presentation.section_index == 0).order_by(Presentation.position))
    resp.score = 0.0
    world.db.flush()
    new = results.correct(world.db, world.clock, content, result, reason="Sleutel verbeterd",
                          actor_id=world.a["staff"]["agency_admin"], resolutions_of=no_productions)
    world.db.commit()
    return new


def skill_level(result, skill):
    return next(s["level"] for s in result.document["skills"] if s["skill"] == skill)


@pytest.fixture
def done(world, content):
    world.open(world.a)
    world.open(world.b)
    return finish(world, content, world.a, 0), finish(world, content, world.b, 0)


def staff(app, world, role, tenant="a"):
    client = app.test_client()
    login_staff(client, getattr(world, tenant), role)
    return client


def links_to_results(html):
    return {int(m) for m in re.findall(r'href="/beheer/resultaten/(\d+)"', html)}


# -- the lists and their filters -----------------------------------------------------------------


def test_admin_lists_the_agencys_results_with_names(app, world, content, done):
    (attempt, result), (_, theirs) = done
    admin = staff(app, world, "agency_admin")
    html = admin.get("/beheer/resultaten").get_data(as_text=True)
    assert links_to_results(html) == {result.id}  # never the other agency's
    assert "Kandidaat0 Achternaam0" in html and world.a["session_code"] in html
    assert skill_level(result, "reading") in html
    per_session = admin.get(f"/beheer/sessies/{world.a['session']}/resultaten")
    assert per_session.status_code == 200
    assert links_to_results(per_session.get_data(as_text=True)) == {result.id}
    # another agency's session and result do not exist for this admin
    assert admin.get(f"/beheer/sessies/{world.b['session']}/resultaten").status_code == 404
    assert admin.get(f"/beheer/resultaten/{theirs.id}").status_code == 404
    assert admin.get(f"/beheer/resultaten/{theirs.id}/rapport.pdf").status_code == 404
    assert admin.get(f"/beheer/sessies/{world.b['session']}/resultaten.csv").status_code == 404


def test_filters_session_dates_levels_and_status(app, world, content, done):
    (_, first), _ = done
    _, second = finish(world, content, world.a, 1)
    corrected = correct(world, content, second)
    admin = staff(app, world, "agency_admin")

    def listed(query):
        resp = admin.get(f"/beheer/resultaten?{query}")
        assert resp.status_code == 200, (query, resp.data[:3000])
        return links_to_results(resp.get_data(as_text=True))

    assert listed("") == {first.id, corrected.id}  # current ones by default
    assert listed("status=superseded") == {second.id}
    assert listed("status=all") == {first.id, second.id, corrected.id}
    assert listed(f"sessie={world.a['session']}") == {first.id, corrected.id}
    today = world.clock.now().date().isoformat()
    tomorrow = (world.clock.now().date() + dt.timedelta(days=1)).isoformat()
    assert listed(f"van={today}&tot={today}") == {first.id, corrected.id}
    assert listed(f"van={tomorrow}") == set()
    assert listed("tot=2020-01-01") == set()
    level = skill_level(first, "reading")
    assert first.id in listed(f"vaardigheid=reading&niveau={level}")
    other = "below_A1" if level != "below_A1" else "C1"
    wanted = {r.id for r in (first, corrected) if other in
              {s["level"] for s in r.document["skills"]}}
    assert listed(f"niveau={other}") == wanted
    assert listed(f"vaardigheid=reading&niveau={other}") == {
        r.id for r in (first, corrected) if skill_level(r, "reading") == other}


BAD_FILTERS = ("van=2026-13-40", "status=x", "niveau=Z9", "vaardigheid=dans",
               "van=2026-03-05&tot=2026-03-01", "sessie=abc", "sessie=99999999")


def test_a_bad_filter_is_a_clear_400(app, world, content, done):
    admin = staff(app, world, "agency_admin")
    for query in BAD_FILTERS:
        resp = admin.get(f"/beheer/resultaten?{query}")
        assert resp.status_code == 400, query
        html = resp.get_data(as_text=True)
        assert 'class="field-error"' in html or "flash error" in html, query
        assert admin.get(f"/beheer/resultaten.csv?{query}").status_code == 400, query


# -- the CSV -------------------------------------------------------------------------------------


def read_csv(resp):
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))


def test_csv_for_the_admin_holds_names_and_is_formula_safe(app, world, content, done):
    (_, result), (_, theirs) = done
    cand = world.db.get(Candidate, world.db.get(results.Attempt, result.attempt_id).candidate_id)
    cand.first_name = "=HYPERLINK(\"http://x\")"
    world.db.commit()
    admin = staff(app, world, "agency_admin")
    rows = read_csv(admin.get("/beheer/resultaten.csv"))
    assert [int(r["result_id"]) for r in rows] == [result.id]
    row = rows[0]
    assert row["first_name"] == "'=HYPERLINK(\"http://x\")"  # shown as text by a spreadsheet
    assert row["last_name"] == "Achternaam0" and row["birth_date"] == cand.birth_date.isoformat()
    reading = next(s for s in result.document["skills"] if s["skill"] == "reading")
    assert row["reading_level"] == reading["level"]
    assert float(row["reading_theta"]) == pytest.approx(reading["theta"])
    assert float(row["reading_p_correct"]) == pytest.approx(reading["p_correct"])
    assert row["inputs_hash"] == result.inputs_hash and row["status"] == "current"
    assert row["writing_level"] == ""  # not in this test
    session_rows = read_csv(admin.get(f"/beheer/sessies/{world.a['session']}/resultaten.csv"))
    assert [int(r["result_id"]) for r in session_rows] == [result.id]
    assert str(theirs.id) not in {r["result_id"] for r in session_rows}


def test_the_psychometrician_sees_numbers_without_names(app, world, content, done):
    (attempt, result), _ = done
    psy = staff(app, world, "psychometrician")
    for url in ("/beheer/resultaten", f"/beheer/sessies/{world.a['session']}/resultaten",
                f"/beheer/resultaten/{result.id}"):
        html = psy.get(url).get_data(as_text=True)
        assert "Kandidaat0" not in html and "Achternaam0" not in html, url
        assert f"Afname {attempt.id}" in html, url
    birth = world.db.get(Candidate, attempt.candidate_id).birth_date
    assert birth.strftime("%d/%m/%Y") not in psy.get(f"/beheer/resultaten/{result.id}").get_data(
        as_text=True)
    rows = read_csv(psy.get("/beheer/resultaten.csv"))
    assert "first_name" not in rows[0] and "birth_date" not in rows[0]
    assert "Achternaam0" not in psy.get("/beheer/resultaten.csv").get_data(as_text=True)
    # no candidate report, no release
    assert psy.get(f"/beheer/resultaten/{result.id}/rapport.pdf").status_code == 403
    assert psy.get(f"/beheer/resultaten/{result.id}/vrijgeven").status_code == 403


def test_proctors_and_raters_see_no_results(app, world, content, done):
    (_, result), _ = done
    for role in ("proctor", "rater"):
        client = staff(app, world, role)
        for url in ("/beheer/resultaten", "/beheer/resultaten.csv",
                    f"/beheer/resultaten/{result.id}",
                    f"/beheer/sessies/{world.a['session']}/resultaten"):
            assert client.get(url).status_code == 403, (role, url)


# -- the detail ----------------------------------------------------------------------------------


def test_detail_shows_the_numbers_and_the_path_but_no_item(app, world, content, done):
    (attempt, result), _ = done
    html = staff(app, world, "agency_admin").get(f"/beheer/resultaten/{result.id}").get_data(
        as_text=True)
    for entry in result.document["skills"]:
        assert f"{entry['theta']:.3f}" in html and f"{entry['se']:.3f}" in html
        assert f"{entry['p_correct']:.3f}" in html
        for p in entry["probabilities"].values():
            assert f"{p:.3f}" in html
    assert result.inputs_hash in html and result.form_version in html
    assert result.rules_version in html
    positions = world.db.scalars(select(Presentation).where(
        Presentation.attempt_id == attempt.id, Presentation.section_index == 0)).all()
    assert f"<td>{len(positions)}</td>" in html  # the last position of the reading path
    assert not BANK_ID.search(html), BANK_ID.search(html).group(0)
    assert not [i for i in content.items if i in html]
    for item in content.items.values():  # no stem of any item shown
        prompt = item.definition.get("prompt")
        if isinstance(prompt, str) and len(prompt) > 20:
            assert prompt not in html


def test_a_correction_shows_on_both_results(app, world, content, done):
    (_, result), _ = done
    new = correct(world, content, result)
    admin = staff(app, world, "agency_admin")
    old_page = admin.get(f"/beheer/resultaten/{result.id}").get_data(as_text=True)
    assert "vervangen door een correctie" in old_page
    assert f'href="/beheer/resultaten/{new.id}"' in old_page and "Sleutel verbeterd" in old_page
    new_page = admin.get(f"/beheer/resultaten/{new.id}").get_data(as_text=True)
    assert f'href="/beheer/resultaten/{result.id}"' in new_page
    assert "correctie door agency_admin antwerpen" in new_page


def test_rated_productions_show_their_resolution_and_raters(app, world, content):
    from results.support import Ratings, exam_session, take

    world.open(world.a)
    definition = world.definitions["schrijven-spreken"]
    sess = exam_session(world.db, world.clock, organisation_id=world.a["org"],
                        definition_id=definition.id, candidates=1)
    form = content.current["schrijven-spreken"]
    attempt = take(world.db, world.clock, content, session_code=sess["code"],
                   access_code=sess["access"][0], answer=lambda f, item_id: (
                       "Beste buren, zaterdag geef ik een feest." if f.item(item_id).type ==
                       "extended_text" else "opname"))
    ratings = Ratings()
    # a rater of this agency and one of the other (a shared pool)
    ratings.rate(world.db, form, attempt, 0.3, np.random.default_rng(5),
                 raters=(world.a["staff"]["rater"], world.b["staff"]["rater"]))
    result = results.freeze(world.db, world.clock, content, attempt, ratings, ScoringRules())
    world.db.commit()
    assert result.document["productions"]
    html = staff(app, world, "agency_admin").get(f"/beheer/resultaten/{result.id}").get_data(
        as_text=True)
    assert "Beoordeelde producties" in html
    assert "rater antwerpen" in html and "rater gent" not in html
    assert "beoordelaar van een ander agentschap" in html
    for p in result.document["productions"]:
        assert p["rubric_id"] in html
        for mean in p["criterion_means"].values():
            assert f"{mean:.2f}" in html
    assert not BANK_ID.search(html)
    assert "Beste buren" not in html  # never the production's text


# -- the release and the candidate's report -------------------------------------------------------


def test_the_candidate_sees_the_report_only_after_the_release(app, world, content, done, client):
    (attempt, result), _ = done
    assert candidate_login(client, world.a, 0).status_code == 302
    finished = client.get("/toets").get_data(as_text=True)
    assert "/toets/resultaat" not in finished
    refused = client.get("/toets/resultaat")
    assert refused.status_code == 404
    assert "Uw resultaat is er nog niet" in refused.get_data(as_text=True)
    assert client.get("/toets/resultaat.pdf").status_code == 404

    admin = staff(app, world, "agency_admin")
    url = f"/beheer/resultaten/{result.id}/vrijgeven"
    assert "Ik bevestig" in admin.get(url).get_data(as_text=True)
    assert admin.post(url, data={}).status_code == 400  # not confirmed
    assert world.db.scalar(select(ResultRelease)) is None
    assert admin.post(url, data={"confirm": "y"}).status_code == 302
    world.db.expire_all()
    release = world.db.scalar(select(ResultRelease))
    assert release.result_id == result.id and release.released_by_id == world.a["staff"][
        "agency_admin"]
    entry = world.db.scalar(select(AuditEntry).where(AuditEntry.action == "result.release"))
    assert entry.object_id == result.id and entry.actor_id == world.a["staff"]["agency_admin"]
    assert admin.post(url, data={"confirm": "y"}).status_code == 302  # again: nothing new
    assert len(world.db.scalars(select(ResultRelease)).all()) == 1

    assert "/toets/resultaat" in client.get("/toets").get_data(as_text=True)
    page = client.get("/toets/resultaat")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for entry in result.document["skills"]:
        level = entry["level"]
        shown = "lager dan A1" if level == "below_A1" else level
        assert f"Uw niveau: {shown}" in html
    assert "Dit is geen attest" in html and "Kandidaat0 Achternaam0" in html
    assert f"{result.document['skills'][0]['theta']:.3f}" not in html  # no θ for the candidate
    pdf = client.get("/toets/resultaat.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = " ".join(PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text().split())
    assert "Kandidaat0 Achternaam0" in text
    for entry in result.document["skills"]:
        label = {"reading": "Lezen", "listening": "Luisteren"}[entry["skill"]]
        shown = "lager dan A1" if entry["level"] == "below_A1" else entry["level"]
        assert f"{label} – Uw niveau: {shown}" in text


def test_a_correction_is_released_on_its_own(app, world, content, done, client):
    (_, result), _ = done
    admin = staff(app, world, "agency_admin")
    assert admin.post(f"/beheer/resultaten/{result.id}/vrijgeven",
                      data={"confirm": "y"}).status_code == 302
    new = correct(world, content, result)
    candidate_login(client, world.a, 0)
    assert client.get("/toets/resultaat").status_code == 404  # the old one no longer counts
    # a superseded result that was never released cannot be released any more
    _, other = finish(world, content, world.a, 1)
    correct(world, content, other)
    refused = admin.post(f"/beheer/resultaten/{other.id}/vrijgeven", data={"confirm": "y"})
    assert refused.status_code == 409
    assert "geef het nieuwe resultaat vrij" in refused.get_data(as_text=True)
    session_page = admin.get(f"/beheer/sessies/{world.a['session']}/resultaten").get_data(
        as_text=True)
    assert "Resultaten vrijgeven aan de kandidaten (2)" in session_page
    url = f"/beheer/sessies/{world.a['session']}/resultaten/vrijgeven"
    assert "2 geldige resultaten" in admin.get(url).get_data(as_text=True)
    assert admin.post(url, data={"confirm": "y"}).status_code == 302
    world.db.expire_all()
    released = {r.result_id for r in world.db.scalars(select(ResultRelease))}
    assert released == {result.id, new.id, results.current_result(world.db, other.attempt_id).id}
    assert client.get("/toets/resultaat").status_code == 200
    assert "zijn vrijgegeven" in admin.get(
        f"/beheer/sessies/{world.a['session']}/resultaten").get_data(as_text=True)


def test_the_admin_gets_the_candidates_report_before_the_release(app, world, content, done):
    (_, result), _ = done
    admin = staff(app, world, "agency_admin")
    preview = admin.get(f"/beheer/resultaten/{result.id}/rapport")
    assert preview.status_code == 200 and "Dit is geen attest" in preview.get_data(as_text=True)
    pdf = admin.get(f"/beheer/resultaten/{result.id}/rapport.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Cache-Control"] == "private, no-store"


def test_a_report_in_arabic_beside_the_dutch(app, world, content, client):
    world.open(world.a)
    birth = dt.date(1990, 5, 6)
    cand = sessions.register_candidate(
        world.db, world.clock, organisation_id=world.a["org"], actor_id=None,
        session_id=world.a["session"], data=sessions.CandidateInput(
            first_name="Amal", last_name="Haddad", birth_date=birth, id_kind="rrn",
            id_number=make_national_number(birth, 321), instruction_language="ar"))
    attempts.admit(world.db, world.clock, cand, actor_id=None)
    world.db.commit()
    world.a["candidates"].append(cand.id)
    world.a["access_codes"].append(cand.access_code)
    i = len(world.a["candidates"]) - 1
    _, result = finish(world, content, world.a, i)
    results_release = staff(app, world, "agency_admin").post(
        f"/beheer/resultaten/{result.id}/vrijgeven", data={"confirm": "y"})
    assert results_release.status_code == 302
    candidate_login(client, world.a, i)
    html = client.get("/toets/resultaat").get_data(as_text=True)
    t = translator("ar")
    assert 'lang="ar" dir="rtl"' in html and t("Lezen") in html and "Lezen" in html
    assert '<html lang="ar" dir="rtl"' in html
    text = PdfReader(io.BytesIO(client.get("/toets/resultaat.pdf").data)).pages[0].extract_text()
    assert t("Lezen") in text and t("Luisteren") in text and "Amal Haddad" in text


def test_an_erased_candidate_gets_no_report(app, world, content, done):
    (attempt, result), _ = done
    cand = world.db.get(Candidate, attempt.candidate_id)
    cand.erased_at = world.clock.now()
    cand.first_name = cand.last_name = ""
    world.db.commit()
    admin = staff(app, world, "agency_admin")
    resp = admin.get(f"/beheer/resultaten/{result.id}/rapport.pdf")
    assert resp.status_code == 409 and "gewist" in resp.get_data(as_text=True)
    html = admin.get("/beheer/resultaten").get_data(as_text=True)
    assert f"Afname {attempt.id}" in html  # listed by number
