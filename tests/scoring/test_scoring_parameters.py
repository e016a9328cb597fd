"""One parameters type for the item bank, the delivery and the psychometrics (issue 8)."""

from __future__ import annotations

import numpy as np
import pytest

from toetsbatterij.scoring import ItemParameters, ItemPool, param_names


@pytest.mark.parametrize(("model", "values"), [
    ("1pl", {"a": 1.0, "b": -0.3}),
    ("2pl", {"a": 1.3, "b": 0.4}),
    ("3pl", {"a": 0.9, "b": 0.1, "c": 0.2}),
    ("gpcm", {"a": 1.1, "b1": -0.5, "b2": 0.2, "b3": 0.9}),
    ("grm", {"a": 1.2, "b1": -1.0, "b2": 0.5}),
])
def test_natural_values_round_trip_and_pool_record(model, values):
    p = ItemParameters.from_values("i1", model, values, {"a": 0.1})
    assert p.values == values
    assert list(p.values) == param_names(model, p.n_categories)
    assert np.array_equal(p.vector(), np.array(list(values.values())))
    assert p.item == "i1" and p.se == {"a": 0.1}
    pool = ItemPool.from_records([p.record()])
    assert pool.ids == ("i1",) and pool.n_categories[0] == p.n_categories
    assert pool.a[0] == values["a"]
    bs = [v for k, v in values.items() if k.startswith("b")]
    assert np.allclose(pool.b[0, : len(bs)], bs)
    assert pool.c[0] == values.get("c", 0.0)
    block = p.as_dict()
    assert block["model"] == model and ("thresholds" in block) == (model in ("gpcm", "grm"))


def test_items_and_psychometrics_use_the_same_type(tmp_path):
    from psychometrics.data import read_params, write_params
    from toetsbatterij.items import Parameters
    from toetsbatterij.items.parameters import provisional

    assert Parameters is ItemParameters
    assert isinstance(provisional("R-A1-0001", "A1", 1), ItemParameters)
    path = tmp_path / "PARAMS.csv"
    write_params(path, [ItemParameters.from_values("i1", "gpcm", {"a": 1.0, "b1": -1.0, "b2": 1.0})])
    back = read_params(path)["i1"]
    assert isinstance(back, ItemParameters)
    assert back.thresholds == (-1.0, 1.0) and back.model == "gpcm"
