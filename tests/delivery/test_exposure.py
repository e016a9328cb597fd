"""Exposure control for real: tuned Sympson-Hetter K values loaded from the bank, applied by the
delivered administration; observed exposure counted from the presentations (ISSUE 4 follow-up,
gap 2)."""

import pytest
import yaml
from bankfixture import write_bank
from delivery_support import World, take_attempt
from delivery_support import open_forms as open_bank
from sqlalchemy import select

from toetsbatterij import cli
from toetsbatterij.delivery import attempts
from toetsbatterij.delivery.exposure import ExposureFileError, exposure_counts, load_k_values
from toetsbatterij.delivery.models import Presentation


def _sh_bank(tmp_path, r_max=0.5, k=None, k_r_max=None):
    """The test bank with Sympson-Hetter on in the reading section of lezen-luisteren, and
    optionally a K file (``k``: item id -> K)."""
    root = write_bank(tmp_path / "bank")
    path = root / "tests" / "lezen-luisteren.yaml"
    manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
    manifest["sections"][0]["design"]["exposure"] = {"method": "sympson_hetter", "r_max": r_max}
    path.write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    if k is not None:
        (root / "exposure").mkdir()
        (root / "exposure" / "lezen-luisteren.yaml").write_text(yaml.safe_dump({
            "test": "lezen-luisteren",
            "sections": {"reading": {"r_max": k_r_max or r_max, "k": k}}}), encoding="utf-8")
    return root


def _reading_ids(content):
    return [i.id for i in content.bank.items.values()
            if i.skill == "reading" and i.status == "operational"]


def test_k_values_make_the_sympson_hetter_draw_skip_items(tmp_path):
    plain = open_bank(_sh_bank(tmp_path / "a"))
    half = open_bank(_sh_bank(tmp_path / "b", k={i: 0.5 for i in _reading_ids(plain)}))
    assert plain.current["lezen-luisteren"].pool(0).sh_k.max() == 1.0
    tuned = half.current["lezen-luisteren"].pool(0)
    assert tuned.sh_k[tuned.selectable].max() == 0.5
    assert half.current["lezen-luisteren"].pool(0) is half.current["lezen-luisteren"].pool(0)  # applied once, cached
    same = 0
    n = 200
    for seed in range(n):
        a = plain.current["lezen-luisteren"].select(0, [], [], seed, 0, False).unit_id
        b = half.current["lezen-luisteren"].select(0, [], [], seed, 0, False).unit_id
        same += a == b
    # With every K = 0.5 the first choice survives its lottery about half of the time.
    assert 0.35 * n < same < 0.65 * n


def test_delivered_administration_skips_a_unit_with_small_k(db_session, clock, tmp_path):
    plain = open_bank(_sh_bank(tmp_path / "a"))
    seed = 12345
    first = plain.current["lezen-luisteren"].select(0, [], [], seed, 0, False).unit_id
    content = open_bank(_sh_bank(tmp_path / "b", k={i: 0.0001 for i in plain.item_ids(first)}))
    world = World(db_session, clock, content)
    world.open(world.a)
    _, attempt, _ = attempts.candidate_login(
        world.db, clock, session_code=world.a["session_code"],
        access_code=world.a["access_codes"][0], device_token=None)
    attempt.seed = seed
    world.db.commit()
    for _ in range(10):
        scr = attempts.advance(world.db, clock, content, attempt)
        if scr.kind == "item":
            break
        if scr.kind == "instructions":
            attempts.start_practice(world.db, clock, attempt)
        elif scr.kind == "practice":
            answers = {i: content.items[i].itype.full_credit_responses(
                content.items[i].definition)[0] for i in scr.presentation.item_ids}
            attempts.submit(world.db, clock, content, attempt,
                            presentation_id=scr.presentation.id, responses=answers)
        elif scr.kind == "section_intro":
            attempts.start_section(world.db, clock, content, attempt, 0)
        world.db.commit()
    assert scr.kind == "item" and scr.section_number == 1
    assert scr.presentation.unit_id != first
    # and the plain bank delivers `first` for the same seed at the same position
    assert plain.current["lezen-luisteren"].select(0, [], [], seed, 0, False).unit_id == first


def test_k_values_tuned_for_another_ceiling_are_refused(tmp_path):
    with pytest.raises(ExposureFileError, match="r_max"):
        open_bank(_sh_bank(tmp_path, r_max=0.3, k={"R-A1-0001": 0.5}, k_r_max=0.25)).current


def test_k_values_outside_unit_interval_are_refused(tmp_path):
    with pytest.raises(ExposureFileError, match="K outside"):
        open_bank(_sh_bank(tmp_path, k={"R-A1-0001": 1.5})).current


def test_tune_exposure_cli_writes_k_values_the_delivery_loads(tmp_path, capsys):
    root = _sh_bank(tmp_path, r_max=0.3)
    assert cli.main(["--itembank", str(root), "tune-exposure", "--test", "lezen-luisteren",
                     "--r-max", "0.3", "--simulees", "150", "--iterations", "4"]) == 0
    out = capsys.readouterr().out
    assert "reading: r_max 0.3" in out and "exposure/lezen-luisteren.yaml" in out
    k = load_k_values(root)["lezen-luisteren"]["reading"]
    assert k["r_max"] == 0.3 and k["k"] and all(0 < v < 1 for v in k["k"].values())
    content = open_bank(root)
    assert content.current["lezen-luisteren"].pool(0).sh_k.min() < 1
    with pytest.raises(SystemExit, match="r_max"):
        cli.main(["--itembank", str(root), "tune-exposure", "--test", "lezen-luisteren",
                  "--r-max", "0.2", "--simulees", "20", "--iterations", "1"])


def test_exposure_counts_come_from_the_presentations(world, content):
    world.open(world.a)
    world.candidate(world.a["org"], world.a["session"], 7)
    for i in range(2):
        take_attempt(world, content, world.a, i, max_screens=40)
    definition = world.definitions["lezen-luisteren"]
    counts = exposure_counts(world.db, definition.id)
    assert counts.attempts_per_section == {0: 2, 1: 2}
    shown = [i for p in world.db.scalars(select(Presentation).where(
        Presentation.section_index >= 0)) for i in p.item_ids]
    assert sum(counts.items.values()) == len(shown)
    assert all(0 < counts.rate(i) <= 1 for i in counts.items)
    assert counts.max_rate(0) == max(counts.rate(i) for i, s in counts.section_of_item.items()
                                     if s == 0)
    # two attempts: an item shown in one of them has rate 0.5, in both 1.0
    assert {counts.rate(i) for i in counts.items} <= {0.5, 1.0}


def test_exposure_report_cli_prints_observed_rates(world, content, migrated_url, capsys):
    test_exposure_counts_come_from_the_presentations(world, content)
    assert cli.main(["--database-url", migrated_url, "exposure-report",
                     "--test", "lezen-luisteren", "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "reading: 2 afnames" in out and "listening: 2 afnames" in out
    with pytest.raises(SystemExit):
        cli.main(["--database-url", migrated_url, "exposure-report", "--test", "bestaat-niet"])
