"""Item types, item definitions, bank loading and checking, QTI exchange.

Public API::

    from toetsbatterij.items import (
        load_bank, load_bank_cached, Bank, Item, Testlet, Rubric, Stimulus, Parameters,
        view_model, view_model_of_testlet, review_model, score, check_response, max_score,
        rubric_score, rubric_view, parse_posted_answers,
        parse_item, REGISTRY, InvalidResponse, NotAutoScored, ItemValidationError, BankError,
        Problem, normalise, Normalisation,
        TestForm, FormSection, Selection, Classification, build_form, build_forms,
        RATED_ESTIMATOR, RATED_ESTIMATOR_SETTINGS, RatedProduction,
        FormDocumentError, UnknownContent, UnusableAnswer, Voice, Speaker,
    )

Items may import ``toetsbatterij.scoring``; never the services or the web layer.
"""

from .api import (
    check_response,
    max_score,
    parse_posted_answers,
    review_model,
    rubric_score,
    rubric_view,
    score,
    view_model,
    view_model_of_testlet,
)
from .bank import Bank, PracticeSet, bank_version, load_bank, load_bank_cached
from .errors import (
    BankError,
    FormDocumentError,
    InvalidResponse,
    ItemValidationError,
    NotAutoScored,
    Problem,
    UnknownContent,
    UnusableAnswer,
)
from .form import (
    RATED_ESTIMATOR,
    RATED_ESTIMATOR_SETTINGS,
    Classification,
    FormSection,
    RatedProduction,
    Selection,
    TestForm,
    build_form,
    build_forms,
)
from .manifest import Blueprint, Constraint, Manifest, Section
from .model import Item, Parameters, Rubric, Stimulus, Testlet
from .normalise import Normalisation, normalise
from .parameters import LEVEL_ANCHORS, PROVISIONAL_RULE, provisional
from .parse import parse_item
from .types import REGISTRY
from .voice import Speaker, Voice

__all__ = [
    "RATED_ESTIMATOR", "RATED_ESTIMATOR_SETTINGS", "RatedProduction",
    "Classification", "FormDocumentError", "FormSection", "Selection", "TestForm",
    "UnknownContent", "UnusableAnswer", "build_form", "build_forms",
    "LEVEL_ANCHORS", "PROVISIONAL_RULE", "REGISTRY", "Bank", "BankError", "Blueprint",
    "Constraint", "InvalidResponse", "Item", "ItemValidationError", "Manifest", "Normalisation",
    "NotAutoScored", "Parameters", "PracticeSet", "Problem", "Rubric", "Section", "Stimulus",
    "Speaker", "Testlet", "Voice", "bank_version", "check_response", "load_bank", "load_bank_cached", "max_score",
    "normalise", "parse_item", "parse_posted_answers", "provisional", "review_model", "rubric_score", "rubric_view", "score",
    "view_model_of_testlet", "view_model",
]
