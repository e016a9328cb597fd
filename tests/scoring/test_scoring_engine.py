"""Adaptive engine: design configuration, filtering, selection, content balancing, replay."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toetsbatterij.items.designs import design_from_config
from toetsbatterij.scoring import (
    EAP,
    WLE,
    AdministrationState,
    ClassificationCI,
    CutScores,
    Design,
    ItemPool,
    item_information,
    next_step,
    rng_for,
)

from .conftest import TOPICS, make_2pl_pool

CUTS = {"A1": -2.4, "A2": -1.2, "B1": 0.0, "B2": 1.2, "C1": 2.4}

MANIFEST_SECTION = {
    "skill": "reading",
    "target_level": "A2",
    "design": {
        "estimator": "eap",
        "selection": {"method": "max_info", "randomesque": 5, "kl_first": 3},
        "exposure": {"method": "sympson_hetter"},
        "stopping": {"min_items": 12, "max_items": 30, "se": 0.35, "classification_z": 1.96},
    },
    "blueprint": {
        "length": 30,
        "constraints": [
            {"attribute": "topic", "value": "housing", "min": 2, "max": 8},
            {"attribute": "task_type", "value": "notice", "min": 2},
        ],
    },
}


def run(design, pool, theta, seed=0, oracle=False):
    """Drive the engine for one simulee; returns (state, last step)."""
    rng = np.random.default_rng(seed + 10_000)
    state = AdministrationState((), (), seed)
    while True:
        step = next_step(design, pool, state, selection_theta=theta if oracle else None)
        if step.stop_reason:
            return state, step
        a = pool.a[list(step.items)]
        b = pool.b[list(step.items), 0]
        p = 1 / (1 + np.exp(-a * (theta - b)))
        state = state.extended(step.items, (rng.random(len(step.items)) < p).astype(int))


def test_design_from_manifest_section():
    d = design_from_config(MANIFEST_SECTION, CUTS)
    assert isinstance(d, Design)
    assert d.name == "reading" and d.version == "1" and d.skill == "reading"
    assert isinstance(d.estimator, EAP)
    assert d.selection.randomesque == 5 and d.selection.kl_first == 3
    assert d.exposure == "sympson_hetter" and d.content == "heuristic"
    assert d.min_items == 12 and d.max_items == 30 and d.test_length == 30
    assert [(c.attribute, c.value, c.min, c.max) for c in d.blueprint.constraints] == [
        ("topic", "housing", 2, 8),
        ("task_type", "notice", 2, None),
    ]
    assert d.cut_scores.level_of(-0.5) == "A2" and d.target_level == "A2"
    d2 = design_from_config(
        {
            "design": {
                "estimator": {"method": "wle"},
                "content": "shadow",
                "stopping": {"max_items": 20, "sprt": {"level": "B1", "delta": 0.4}},
            },
            "blueprint": {
                "length": 20,
                "constraints": [{"attribute": "topic", "value": "work", "share": 0.25}],
            },
        },
        CutScores.from_mapping(CUTS),
        name="lezen-cat",
        version="2026.1",
    )
    assert isinstance(d2.estimator, WLE) and d2.content == "shadow"
    assert (d2.name, d2.version) == ("lezen-cat", "2026.1")
    assert d2.blueprint.constraints[0].min == 5 and d2.blueprint.constraints[0].max == 5
    with pytest.raises(ValueError):
        design_from_config({"design": {"stopping": {"classification_z": 1.96}}})
    with pytest.raises(ValueError):
        design_from_config({"design": {"exposure": "bogus"}})


def test_replay_gives_the_same_item_and_seeds_differ():
    pool = make_2pl_pool(500, seed=3)
    d = design_from_config(MANIFEST_SECTION, CUTS)
    state, _ = run(d, pool, 0.4, seed=5)
    # replay each step from the response list alone
    for k in range(1, state.position):
        prefix = AdministrationState.from_responses(
            [
                (pool.ids[i], s)
                for i, s in zip(state.administered[:k], state.scores[:k], strict=True)
            ],
            seed=5,
            index=pool.index,
        )
        assert next_step(d, pool, prefix).items == (state.administered[k],)
    firsts = {next_step(d, pool, AdministrationState((), (), s)).items for s in range(40)}
    assert len(firsts) > 1  # randomesque
    # an explicit generator is honoured and is itself derived from (seed, position)
    s0 = AdministrationState((), (), 9)
    assert (
        next_step(d, pool, s0, rng_for(9, 0)).items == next_step(d, pool, s0, rng_for(9, 0)).items
    )


def test_max_info_picks_the_most_informative_eligible_item():
    pool = make_2pl_pool(300, seed=4)
    d = Design("plain", "1", content="none", max_items=10)
    step = next_step(d, pool, AdministrationState())
    info = item_information(pool, step.estimate.theta)
    assert step.items == (int(np.argmax(info)),)
    given_ = tuple(int(i) for i in np.argsort(-info)[:3])
    s = AdministrationState(given_, (1, 0, 1))
    step = next_step(d, pool, s)
    info = item_information(pool, step.estimate.theta)
    info[list(given_)] = -1
    assert step.items == (int(np.argmax(info)),)


def test_unselectable_items_are_never_selected():
    base = make_2pl_pool(120, seed=6)
    selectable = np.ones(base.n, bool)
    info = item_information(base, 0.0)
    selectable[np.argsort(-info)[:60]] = False  # hide the best half
    pool = base.with_selectable(selectable)
    d = Design(
        "x",
        "1",
        content="none",
        max_items=40,
        selection=design_from_config(MANIFEST_SECTION, CUTS).selection,
    )
    for seed in range(5):
        state, _ = run(d, pool, 0.0, seed=seed)
        assert state.position == 40
        assert selectable[list(state.administered)].all()


def test_enemies_never_together_and_testlets_as_a_unit():
    rng = np.random.default_rng(7)
    recs = []
    for i in range(60):
        recs.append({"id": f"S{i}", "model": "2pl", "a": 1.5, "b": float(rng.normal() * 0.3)})
    for t in range(10):
        for k in range(3):
            recs.append(
                {
                    "id": f"T{t}-{k}",
                    "model": "2pl",
                    "a": 1.2,
                    "b": float(rng.normal()),
                    "testlet": f"T{t}",
                }
            )
    # enemies: the most central standalone items pairwise
    order = np.argsort([abs(r["b"]) for r in recs[:60]])
    pairs = [(f"S{order[2 * j]}", f"S{order[2 * j + 1]}") for j in range(10)]
    pool = ItemPool.from_records(recs, enemy_pairs=pairs)
    d = Design("x", "1", content="none", max_items=30)
    groups = [set(g) for g in pool.enemy_groups]
    testlets_seen = 0
    for seed in range(6):
        state = AdministrationState((), (), seed)
        while True:
            step = next_step(d, pool, state)
            if step.stop_reason:
                break
            tl = {int(pool.testlet[i]) for i in step.items}
            assert len(tl) == 1
            if tl != {-1}:
                testlets_seen += 1
                members = set(np.nonzero(pool.testlet == tl.pop())[0].tolist())
                assert set(step.items) == members
            state = state.extended(step.items, [1] * len(step.items))
        given_ = set(state.administered)
        assert state.position <= 30
        assert all(len(g & given_) <= 1 for g in groups)
    assert testlets_seen > 0


def test_blueprint_heuristic_meets_minimum_and_maximum_counts():
    pool = make_2pl_pool(400, seed=8)
    cons = [{"attribute": "topic", "value": t, "min": 2, "max": 4} for t in TOPICS]
    d = design_from_config(
        {
            "design": {"selection": {"randomesque": 3}, "stopping": {"max_items": 24}},
            "blueprint": {"length": 24, "constraints": cons},
        }
    )
    assert d.content == "heuristic"
    for seed, theta in enumerate(np.linspace(-2, 2, 8)):
        state, step = run(d, pool, theta, seed=seed)
        assert step.stop_reason == "max_items"
        counts = {
            t: int(np.sum(pool.attributes["topic"][list(state.administered)] == t)) for t in TOPICS
        }
        assert all(2 <= c <= 4 for c in counts.values()), counts


@settings(derandomize=True, max_examples=12, deadline=None)
@given(st.integers(0, 10_000), st.floats(-2.5, 2.5))
def test_shadow_test_never_violates_the_blueprint(seed, theta):
    pool = make_2pl_pool(250, seed=seed % 7)
    cons = [
        {"attribute": "topic", "value": "housing", "min": 3, "max": 4},
        {"attribute": "topic", "value": "work", "min": 2, "max": 3},
        {"attribute": "task_type", "value": "notice", "min": 1, "max": 2},
        {"attribute": "task_type", "value": "letter", "max": 1},
    ]
    d = design_from_config(
        {
            "design": {"content": "shadow", "stopping": {"max_items": 12}},
            "blueprint": {"length": 12, "constraints": cons},
        }
    )
    state, step = run(d, pool, theta, seed=seed)
    assert state.position == 12
    items = list(state.administered)
    topic = pool.attributes["topic"][items]
    tt = pool.attributes["task_type"][items]
    assert 3 <= np.sum(topic == "housing") <= 4
    assert 2 <= np.sum(topic == "work") <= 3
    assert 1 <= np.sum(tt == "notice") <= 2
    assert np.sum(tt == "letter") <= 1


def test_shadow_falls_back_when_infeasible():
    pool = make_2pl_pool(40, seed=1)
    d = design_from_config(
        {
            "design": {"content": "shadow", "stopping": {"max_items": 10}},
            "blueprint": {
                "length": 10,
                "constraints": [{"attribute": "topic", "value": "work", "min": 8}],
            },
        }
    )
    step = next_step(d, pool, AdministrationState())
    assert step.notes == ("shadow_infeasible",) and len(step.items) == 1


def test_stopping_reasons():
    pool = make_2pl_pool(300, seed=2)
    cuts = CutScores.from_mapping(CUTS)
    d = design_from_config(
        {"design": {"stopping": {"min_items": 5, "max_items": 25, "se": 0.4}}}, CUTS
    )
    state, step = run(d, pool, 0.0, seed=1)
    assert step.stop_reason == "se" and step.estimate.se <= 0.4 and 5 <= state.position <= 25
    d = design_from_config(
        {"design": {"stopping": {"min_items": 3, "max_items": 40, "classification_z": 1.0}}}, CUTS
    )
    state, step = run(d, pool, -3.4, seed=2)
    assert step.stop_reason == "classification"
    e = step.estimate
    assert cuts.level_of(e.theta - e.se) == cuts.level_of(e.theta + e.se)
    d = design_from_config(
        {"design": {"stopping": {"min_items": 3, "max_items": 40, "sprt": {"cut": 0.0}}}}, CUTS
    )
    _, step = run(d, pool, 2.0, seed=3)
    assert step.stop_reason == "sprt"
    d = design_from_config({"design": {"stopping": {"min_items": 12, "max_items": 12, "se": 5.0}}})
    state, step = run(d, pool, 0.0, seed=4)
    assert state.position == 12 and step.stop_reason == "max_items"
    tiny = make_2pl_pool(4, seed=0)
    state, step = run(Design("x", "1", content="none", max_items=10), tiny, 0.0)
    assert step.stop_reason == "pool_exhausted" and state.position == 4
    assert isinstance(
        ClassificationCI(cuts).should_stop(pool, AdministrationState(), e), type(None)
    )


@settings(derandomize=True, max_examples=15, deadline=None)
@given(st.integers(0, 10_000))
def test_shadow_pruning_keeps_the_optimum(seed):
    """The class-wise pruning of the shadow-test MIP gives the same optimum as the full MIP."""
    import toetsbatterij.scoring.selection as selection

    rng = np.random.default_rng(seed)
    recs = [
        {
            "id": f"I{i}",
            "model": "2pl",
            "a": float(rng.uniform(0.5, 2.0)),
            "b": float(rng.normal()),
            "attributes": {
                "topic": TOPICS[int(rng.integers(0, 3))],
                "task_type": "notice" if i % 3 else "letter",
            },
        }
        for i in range(150)
    ]
    pairs = [(f"I{2 * j}", f"I{2 * j + 1}") for j in range(int(rng.integers(0, 10)))]
    pool = ItemPool.from_records(recs, enemy_pairs=pairs)
    d = design_from_config(
        {
            "design": {"content": "shadow", "stopping": {"max_items": 15}},
            "blueprint": {
                "length": 15,
                "constraints": [
                    {"attribute": "topic", "value": TOPICS[0], "min": 3, "max": 6},
                    {"attribute": "topic", "value": TOPICS[1], "min": 2, "max": 5},
                    {"attribute": "task_type", "value": "letter", "min": 2, "max": 4},
                ],
            },
        }
    )
    given_ = tuple(int(i) for i in rng.choice(150, int(rng.integers(0, 5)), replace=False))
    state = AdministrationState(given_, tuple(int(x) for x in rng.integers(0, 2, len(given_))))
    prep = d.prepare(pool)
    units, counts = selection.eligible_units(d, pool, state)
    crit = item_information(pool, float(rng.normal()))
    pruned = selection._shadow_candidates(d, pool, prep, state, units, counts, crit)
    original = selection._prune_interchangeable
    try:
        selection._prune_interchangeable = lambda prep, free, need, counts, crit: free
        full = selection._shadow_candidates(d, pool, prep, state, units, counts, crit)
    finally:
        selection._prune_interchangeable = original
    assert (pruned is None) == (full is None)
    if full is not None:
        assert pruned.sum() == full.sum() == 15 - len(given_)
        assert crit[pruned].sum() == pytest.approx(crit[full].sum(), rel=1e-4)


def test_kl_index_approaches_fisher_information_on_a_narrow_interval():
    """KL(θ̂‖θ) ≈ ½ I(θ̂)(θ − θ̂)², so the KL index over θ̂ ± δ tends to I(θ̂)·δ³/3."""
    from toetsbatterij.scoring.selection import _kl_index

    pool = make_mixed_pool_for_engine()
    delta = 1e-2
    kl = _kl_index(pool, 0.4, 1, delta)
    assert np.all(kl >= 0)
    np.testing.assert_allclose(kl / (delta**3 / 3), item_information(pool, 0.4), rtol=1e-2)
    wide = _kl_index(pool, 0.4, 1, 3.0)
    assert np.all(wide >= kl)


def make_mixed_pool_for_engine() -> ItemPool:
    from .conftest import make_mixed_pool

    return make_mixed_pool(3)


def test_mixed_models_testlets_and_kl_first_run_end_to_end():
    rng = np.random.default_rng(12)
    recs = []
    for i in range(40):
        kind = ("2pl", "3pl", "gpcm", "grm")[i % 4]
        rec = {
            "id": f"M{i}",
            "model": kind,
            "a": float(rng.uniform(0.7, 1.8)),
            "attributes": {"topic": TOPICS[i % 3]},
        }
        rec["b"] = (
            sorted(float(x) for x in rng.normal(0, 1, 3))
            if kind in ("gpcm", "grm")
            else float(rng.normal())
        )
        if kind == "3pl":
            rec["c"] = 0.2
        recs.append(rec)
    for t in range(6):
        for k in range(2):
            recs.append(
                {
                    "id": f"T{t}-{k}",
                    "model": "2pl",
                    "a": 1.0,
                    "b": float(rng.normal()),
                    "testlet": f"T{t}",
                    "attributes": {"topic": TOPICS[t % 3]},
                }
            )
    pool = ItemPool.from_records(recs)
    cons = [{"attribute": "topic", "value": TOPICS[j], "min": 3, "max": 6} for j in range(3)]
    for content in ("heuristic", "shadow"):
        d = design_from_config(
            {
                "design": {
                    "content": content,
                    "selection": {"kl_first": 3, "randomesque": 2},
                    "stopping": {"max_items": 14},
                },
                "blueprint": {"length": 14, "constraints": cons},
            }
        )
        state = AdministrationState((), (), 3)
        while True:
            step = next_step(d, pool, state)
            if step.stop_reason:
                break
            assert step.notes == ()
            scores = [int(rng.integers(0, pool.n_categories[i])) for i in step.items]
            state = state.extended(step.items, scores)
        assert state.position <= 14
        topic = pool.attributes["topic"][list(state.administered)]
        assert all(np.sum(topic == TOPICS[j]) <= 6 for j in range(3))
        if content == "shadow":
            assert state.position == 14
            assert all(np.sum(topic == TOPICS[j]) >= 3 for j in range(3))


def test_designs_from_a_whole_manifest():
    from toetsbatterij.items.designs import designs_from_manifest

    manifest = {
        "id": "attest-4",
        "version": "2026.2",
        "target_level": "A2",
        "cut_scores": {"reading": CUTS, "listening": {**CUTS, "A2": -1.0}},
        "sections": [MANIFEST_SECTION, {**MANIFEST_SECTION, "skill": "listening"}],
    }
    designs = designs_from_manifest(manifest)
    assert set(designs) == {"reading", "listening"}
    assert (
        designs["listening"].name == "attest-4/listening"
        and designs["listening"].version == "2026.2"
    )
    assert designs["listening"].cut_scores.cut_of("A2") == -1.0
    assert designs["reading"].cut_scores.cut_of("A2") == -1.2
    assert designs["reading"].target_level == "A2"


@pytest.mark.parametrize("name", ["attest-4.yaml", "reading-listening.yaml"])
def test_the_bank_manifests_build_designs(name):
    from pathlib import Path

    import yaml

    from toetsbatterij.items.designs import designs_from_manifest

    path = Path(__file__).resolve().parents[2] / "itembank" / "tests" / name
    if not path.exists():
        pytest.skip(f"{name} not in the bank")
    manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
    designs = designs_from_manifest(manifest)
    adaptive = [s["skill"] for s in manifest["sections"] if s.get("design")]
    assert adaptive and set(designs) == set(adaptive)
    for skill, d in designs.items():
        assert d.cut_scores is not None and d.max_items >= d.min_items > 0
        assert d.blueprint.constraints
        if d.exposure == "sympson_hetter":
            assert d.r_max is not None
        # the design runs on a synthetic pool carrying the manifest's attributes
        values = {c.attribute: [] for c in d.blueprint.constraints}
        for c in d.blueprint.constraints:
            values[c.attribute].append(c.value)
        rng = np.random.default_rng(0)
        recs = [
            {
                "id": f"{skill}-{i}",
                "model": "2pl",
                "a": 1.0,
                "b": float(rng.normal()),
                "attributes": {attr: vals[i % len(vals)] for attr, vals in values.items()},
            }
            for i in range(300)
        ]
        pool = ItemPool.from_records(recs)
        state, step = run(d, pool, 0.3, seed=1)
        assert step.stop_reason is not None and d.min_items <= state.position <= d.max_items


def test_derived_arrays_live_in_the_pool_cache():
    pool = make_2pl_pool(100, seed=0)
    d1 = design_from_config(MANIFEST_SECTION, CUTS)
    d2 = design_from_config(MANIFEST_SECTION, CUTS)
    assert d1.prepare(pool) is d2.prepare(pool)
    assert d1.estimator.log_probability_table(pool) is d2.estimator.log_probability_table(pool)
    other = pool.with_selectable(np.arange(pool.n) % 2 == 0)
    assert d1.prepare(other) is not d1.prepare(pool)
    assert not d1.prepare(other).c_items[:, 1::2].any()


def test_pretest_responses_do_not_count():
    """Responses to items the pool marks not selectable (pretest) are left out of θ, the
    stopping rule and the blueprint, and such items are never offered."""
    base = make_2pl_pool(200, seed=5)
    selectable = np.ones(base.n, bool)
    selectable[:10] = False  # pretest items
    pool = base.with_selectable(selectable)
    d = design_from_config(MANIFEST_SECTION, CUTS)
    state, _ = run(d, pool, 0.2, seed=4)
    scored_items = list(state.administered[:8])
    scored_scores = list(state.scores[:8])
    with_pretest = AdministrationState(
        tuple([0, *scored_items[:4], 1, *scored_items[4:]]),
        tuple([1, *scored_scores[:4], 0, *scored_scores[4:]]),
        state.seed,
    )
    plain = AdministrationState(tuple(scored_items), tuple(scored_scores), state.seed)
    a = next_step(d, pool, with_pretest)
    b = next_step(d, pool, plain)
    assert a.estimate.theta == pytest.approx(b.estimate.theta)
    assert a.estimate.se == pytest.approx(b.estimate.se)
    assert a.items and not set(a.items) & {0, 1} and selectable[list(a.items)].all()
    assert d.estimator.estimate(pool, with_pretest).theta == pytest.approx(b.estimate.theta)
    # length counts scored items only: a max-length stop ignores the pretest responses
    short = design_from_config({"design": {"stopping": {"max_items": 8}}})
    assert next_step(short, pool, plain).stop_reason == "max_items"
    assert next_step(short, pool, with_pretest).stop_reason == "max_items"
    seven = AdministrationState(plain.administered[:7] + (0, 1), plain.scores[:7] + (1, 1), 3)
    assert next_step(short, pool, seven).stop_reason is None


@pytest.mark.parametrize("content", ["heuristic", "shadow", "none"])
def test_excluded_items_are_never_offered(content):
    """Items excluded from outside (enemies presented in another section) are never selected,
    and excluding nothing changes nothing."""
    pool = make_2pl_pool(60, seed=3)
    design = design_from_config({**MANIFEST_SECTION,
                                 "design": {**MANIFEST_SECTION["design"], "content": content}},
                               CUTS)
    free, _ = run(design, pool, 0.0, seed=11)
    banned = tuple(free.administered[:5])
    rng = np.random.default_rng(5)
    state = AdministrationState((), (), 11, banned)
    while True:
        step = next_step(design, pool, state)
        if step.stop_reason:
            break
        assert not set(step.items) & set(banned)
        state = state.extended(step.items, (rng.random(len(step.items)) < 0.5).astype(int))
    assert state.excluded == tuple(sorted(banned))
    assert not set(state.administered) & set(banned)
    assert state.position >= 12
    # The same state without exclusions picks the first banned item first again.
    assert next_step(design, pool, AdministrationState((), (), 11)).items[0] == banned[0]


def test_from_responses_maps_excluded_ids_and_ignores_other_pools():
    pool = make_2pl_pool(10, seed=1)
    ids = [str(i) for i in pool.ids]
    state = AdministrationState.from_responses([(ids[0], 1)], 4, index=pool.index,
                                               excluded=[ids[3], ids[1], "L-OTHER-SKILL"])
    assert state.excluded == (1, 3)
    assert state.scored(pool).excluded == (1, 3)
    assert state.extended([2], [0]).excluded == (1, 3)
