"""The results commands: ``freeze-results`` and ``recompute-results`` on the configured
database (the provider of resolutions is the rating service's; here the simulated raters')."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from toetsbatterij import cli
from toetsbatterij.results import service
from toetsbatterij.results.models import Result

from .test_results import bank, defs, forms, run  # noqa: F401  (fixtures)


@pytest.fixture
def commands(monkeypatch, migrated_url, bank):  # noqa: F811
    def call(*args, provider):
        monkeypatch.setattr(cli, "resolutions_provider", lambda: provider)
        return cli.main(["--database-url", migrated_url, "--itembank", str(bank), *args])
    return call


def test_freeze_then_recompute_and_a_difference_fails(world, forms, defs, commands, capsys):  # noqa: F811
    attempts, ratings, _ = run(world, forms, defs, "schrijven-spreken", [-0.5, 0.5, 1.5])
    ratings.pending.add(attempts[2].id)  # its speaking task is still being rated
    assert commands("freeze-results", provider=ratings) == 0
    assert "Resultaten vastgelegd: 2; wachten op beoordeling: 1" in capsys.readouterr().out
    world.db.expire_all()
    assert service.current_result(world.db, attempts[2].id) is None
    ratings.pending.clear()
    assert commands("freeze-results", provider=ratings) == 0
    assert "Resultaten vastgelegd: 1; wachten op beoordeling: 0" in capsys.readouterr().out
    assert commands("freeze-results", provider=ratings) == 0  # nothing left
    assert "Resultaten vastgelegd: 0; wachten op beoordeling: 0" in capsys.readouterr().out

    assert commands("recompute-results", provider=ratings) == 0
    assert "Herberekend: 3 resultaten, 0 met verschillen" in capsys.readouterr().out
    world.db.expire_all()
    rows = world.db.scalars(select(Result).order_by(Result.id)).all()
    assert [r.attempt_id for r in rows] == sorted(a.id for a in attempts)
    target = rows[1]
    response_id = target.document["productions"][0]["response_id"]
    ratings.change(world.db, forms.for_attempt(world.db, attempts[1]), target.attempt_id,
                   response_id)
    assert commands("recompute-results", provider=ratings) == 1
    out = capsys.readouterr().out
    assert f"VERSCHIL resultaat {target.id} (afname {target.attempt_id}) inputs_hash" in out
    assert "Herberekend: 3 resultaten, 1 met verschillen" in out
    assert commands("recompute-results", "--result", str(rows[0].id), provider=ratings) == 0
    assert "Herberekend: 1 resultaten, 0 met verschillen" in capsys.readouterr().out
    assert commands("recompute-results", "--result", str(target.id), provider=ratings) == 1
    assert commands("recompute-results", "--result", "999999", provider=ratings) == 2


def test_without_the_rating_service_the_commands_say_so(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "toetsbatterij.rating.service", None)
    with pytest.raises(SystemExit, match="beoordelingsmodule"):
        cli.resolutions_provider()
