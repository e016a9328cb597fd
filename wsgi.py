"""WSGI entry point: ``gunicorn wsgi:app`` (configuration from instance/config.json and
TOETSBATTERIJ_* environment variables); production: ``gunicorn -c deploy/gunicorn.conf.py``.

The app is warmed up here, at import: with gunicorn's ``preload_app`` once in the master, before
the workers are forked (``toetsbatterij.web.warm_up``)."""

from toetsbatterij.web import create_app, warm_up

app = create_app()
warm_up(app)
