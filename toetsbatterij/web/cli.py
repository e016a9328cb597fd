"""``flask --app toetsbatterij.web`` commands: thin wrappers around ``toetsbatterij.cli``."""

from __future__ import annotations

import click
from flask import Flask, current_app

from toetsbatterij.db import upgrade


def init_app(app: Flask) -> None:
    @app.cli.command("migrate")
    def migrate() -> None:
        """Bring the database schema to the newest migration."""
        upgrade(current_app.config["DATABASE_URL"])
        click.echo("database up to date")
