"""The migrations and the models describe the same schema (on SQLite and PostgreSQL)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from toetsbatterij.db import import_all_models, make_engine


def test_migrations_match_models(migrated_url):
    engine = make_engine(migrated_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, import_all_models())
    engine.dispose()
    assert diff == []


def test_migrations_go_down_and_up_again(tmp_path):
    from alembic import command

    from toetsbatterij.db import alembic_config

    cfg = alembic_config(f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}")
    command.upgrade(cfg, "head")
    command.downgrade(cfg, "0001")
    command.upgrade(cfg, "head")


def test_overlong_names_are_refused_not_crashing(app, world, client):
    from delivery_support import login_staff

    login_staff(client, world.a, "agency_admin")
    resp = client.post("/beheer/locaties", data={"name": "x" * 201, "capacity": "10"})
    assert resp.status_code == 400
    resp = client.post("/beheer/personeel", data={"email": "a@b.test", "display_name": "y" * 201,
                                                  "role": "rater", "password": "z" * 20})
    assert resp.status_code == 400
