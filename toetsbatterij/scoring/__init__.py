"""IRT scoring core and adaptive engine (pure: numpy, scipy and the standard library only).

Shapes: ``n`` items in the pool, ``M = m_max + 1`` score categories, ``Q`` θ points, ``k``
responses, ``U`` selection units (items, or testlets as one unit).

Pool and models (:mod:`.models`)
    ``Model`` (IntEnum ONE_PL, TWO_PL, THREE_PL, GPCM, GRM);
    ``ItemPool`` (frozen; ``ItemPool.from_records(records, enemy_pairs)``; arrays ``ids``,
    ``model`` (n,), ``a`` (n,), ``b`` (n, m_max) NaN-padded, ``c`` (n,), ``n_categories`` (n,),
    ``attributes`` name -> (n,) str, ``testlet`` (n,) int or -1, ``enemy_groups``,
    ``selectable`` (n,) bool, ``sh_k`` (n,));
    ``category_probabilities(pool, theta, items=None) -> (n_sel, M, Q)``,
    ``category_log_probabilities`` (same, log), ``response_log_likelihood(pool, items, scores,
    theta) -> (Q,)``, ``item_information(pool, theta, items=None) -> (n_sel,) | (n_sel, Q)``,
    ``test_information``.
State (:mod:`.state`)
    ``AdministrationState(administered, scores, seed, excluded=())``, ``.from_responses(pairs,
    seed, index=None, excluded=())`` (``excluded``: items never to offer, e.g. enemies of items
    given in another section); ``rng_for(seed, position) -> numpy.random.Generator``.
Estimation (:mod:`.estimation`)
    ``Estimate(theta, se, method, posterior, note)``; classes ``EAP``, ``MAP``, ``MLE``,
    ``WLE`` with ``.estimate(pool, state)``; functions ``eap``, ``map_estimate``, ``mle``,
    ``wle`` (pool, items, scores, ...) and ``eap_from_log_likelihood(nodes, log_prior_weights,
    log_likelihood)``, ``eap_matrix(pool, responses (N, n) with -1 = not given) -> (theta (N,),
    se (N,), weights (N, Q))``.
CEFR (:mod:`.cefr`)
    ``CutScores`` (``from_mapping({"A1": θ, ...})``, ``level_of``, ``band``),
    ``classify(estimate, cuts, target=None) -> LevelDecision(level, probabilities,
    p_at_least_target, ...)``, ``ReportingScale(intercept, slope)``.
Stopping (:mod:`.stopping`)
    ``MaxItems``, ``MinItems``, ``SEBelow``, ``ClassificationCI``, ``SPRT``, ``AnyOf``,
    ``AllOf``: ``should_stop(pool, state, estimate) -> reason | None``.
Design (:mod:`.design`)
    ``Design`` (named, versioned, frozen), ``Blueprint``, ``Constraint``, ``SelectionRule``,
    ``standard_stopping``. Reading a design from a test manifest is the item bank's job:
    ``toetsbatterij.items.designs.design_from_config`` / ``designs_from_manifest``.
Selection (:mod:`.selection`)
    ``eligible_units`` (the filter), ``unit_criterion`` (Fisher information / KL index),
    content balancing ``CONTENT_BALANCERS`` (``NoBalancing``, ``HeuristicBalancing``,
    ``ShadowTest``).
Exposure (:mod:`.exposure`)
    ``choose``: randomesque top-k and the Sympson-Hetter lottery.
Engine (:mod:`.engine`)
    ``next_step(design, pool, state, rng=None) -> NextStep(estimate, items, stop_reason,
    considered, notes)``.
Rated tasks (:mod:`.rated`)
    ``RatedObservation(a, thresholds, score, weight, shift)`` (one resolved rubric-criterion
    category, GPCM), ``rated_log_likelihood``, ``rated_eap(observations) -> Estimate`` (the
    versioned rule ``RATED_ESTIMATOR``: N(0, 1) prior, 81 nodes on [-6, 6]),
    ``gpcm_log_probabilities(a, thresholds, theta) -> (m + 1, Q)``.
Parameters (:mod:`.parameters`)
    ``ItemParameters(model, a, b, c, thresholds, provenance, item, se)``: the one parameters
    type of the house (items, delivery, psychometrics); ``values``/``vector()``/
    ``from_values`` in natural names (``param_names``), ``record()`` for ``ItemPool``.
Raters (:mod:`.raters`, imported as a module, not re-exported)
    ``agreement`` (exact, adjacent, quadratic-weighted kappa), ``fit_mfrm`` (many-facet Rasch:
    severity, fit), ``window_severities`` and ``detect_drift``, ``simulate_ratings``.
Simulation (:mod:`.simulation`)
    ``simulate(design, pool, true_thetas, seed, oracle=False) -> SimulationReport``,
    ``tune_sympson_hetter(design, pool, r_max, ...) -> (tuned pool, history)``.
"""

from .accuracy import (
    ClassificationQuality,
    CutQuality,
    full_length_information,
    rudner,
    rudner_from_estimates,
)
from .cefr import BELOW_A1, CutScores, LevelDecision, ReportingScale, classify
from .design import Blueprint, Constraint, Design, SelectionRule, standard_stopping
from .engine import NextStep, next_step
from .estimation import (
    EAP,
    MAP,
    MLE,
    WLE,
    AbilityEstimator,
    Estimate,
    eap,
    eap_from_log_likelihood,
    eap_matrix,
    map_estimate,
    mle,
    quadrature_grid,
    wle,
)
from .models import (
    ItemPool,
    Model,
    category_log_probabilities,
    category_probabilities,
    item_information,
    response_log_likelihood,
    test_information,
)
from .parameters import ItemParameters, param_names
from .rated import (
    RATED_ESTIMATOR,
    RATED_ESTIMATOR_SETTINGS,
    RatedObservation,
    gpcm_log_probabilities,
    rated_eap,
    rated_log_likelihood,
)
from .selection import CONTENT_BALANCERS, ContentBalancer, eligible_units, selection_point
from .simulation import ConditionalRow, SimulationReport, simulate, tune_sympson_hetter
from .state import AdministrationState, rng_for
from .stopping import (
    GLR,
    SPRT,
    AllOf,
    AnyOf,
    ClassificationCI,
    MaxItems,
    MinItems,
    SEBelow,
    StochasticCurtailment,
    remaining_information,
)

__all__ = [
    "BELOW_A1",
    "CONTENT_BALANCERS",
    "ContentBalancer",
    "EAP",
    "MAP",
    "RATED_ESTIMATOR",
    "RATED_ESTIMATOR_SETTINGS",
    "RatedObservation",
    "MLE",
    "SPRT",
    "WLE",
    "AbilityEstimator",
    "AdministrationState",
    "AllOf",
    "AnyOf",
    "Blueprint",
    "ClassificationCI",
    "ClassificationQuality",
    "ConditionalRow",
    "Constraint",
    "CutQuality",
    "CutScores",
    "Design",
    "GLR",
    "Estimate",
    "ItemParameters",
    "ItemPool",
    "LevelDecision",
    "MaxItems",
    "MinItems",
    "Model",
    "NextStep",
    "ReportingScale",
    "SEBelow",
    "SelectionRule",
    "SimulationReport",
    "StochasticCurtailment",
    "category_log_probabilities",
    "category_probabilities",
    "classify",
    "eap",
    "eap_from_log_likelihood",
    "eap_matrix",
    "eligible_units",
    "full_length_information",
    "gpcm_log_probabilities",
    "item_information",
    "map_estimate",
    "mle",
    "next_step",
    "param_names",
    "quadrature_grid",
    "rated_eap",
    "rated_log_likelihood",
    "remaining_information",
    "response_log_likelihood",
    "rng_for",
    "rudner",
    "rudner_from_estimates",
    "selection_point",
    "simulate",
    "standard_stopping",
    "test_information",
    "tune_sympson_hetter",
    "wle",
]
