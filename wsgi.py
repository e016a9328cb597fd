"""WSGI entry point: ``gunicorn wsgi:app`` (configuration from instance/config.json and
TOETSBATTERIJ_* environment variables)."""

from toetsbatterij.web import create_app

app = create_app()
