"""gunicorn for production: several workers, the app loaded once before the fork.

    gunicorn -c deploy/gunicorn.conf.py          # from the checkout (wsgi:app)

Every worker is stateless between requests (what workers share lives in PostgreSQL and Redis,
``toetsbatterij.state_store``), so the number of workers and of machines is a matter of
capacity (docs/deployment.md). Settings from the environment:

- ``TOETSBATTERIJ_BIND`` (default ``127.0.0.1:8000``; the reverse proxy talks to it)
- ``TOETSBATTERIJ_WORKERS`` (default: 2 per core), ``TOETSBATTERIJ_THREADS`` (default 4)

``preload_app``: the master builds the app once (configuration, the test forms and item pools
of the bank, every snapshot form it is asked for, the compiled templates; ``wsgi.py`` warms it
up), and every worker starts with all of it already loaded, so the first login after a restart
is as fast as the hundredth. What must not be shared across a fork (the database pool's
connections) is dropped in ``post_fork``; redis-py opens new connections in a new process by
itself.
"""

import os

bind = os.environ.get("TOETSBATTERIJ_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("TOETSBATTERIJ_WORKERS", str(2 * (os.cpu_count() or 1))))
threads = int(os.environ.get("TOETSBATTERIJ_THREADS", "4"))
worker_class = "gthread"
wsgi_app = "wsgi:app"
preload_app = True
timeout = 30
graceful_timeout = 20
keepalive = 5
# A long exam day: no periodic worker recycling in the middle of a section (a worker that is
# killed is replaced by the master; no state is lost, see docs/deployment.md).
max_requests = 0
# No control socket: several masters on one machine (tests, benchmarks) would share its path.
control_socket_disable = True
accesslog = os.environ.get("TOETSBATTERIJ_ACCESS_LOG") or None


def post_fork(server, worker):  # noqa: ARG001 - gunicorn's hook signature
    """The connections the master opened (to synchronise the definitions) belong to it: the
    worker's pool starts empty. The worker beats at once (``delivery.outages``)."""
    import wsgi

    platform = wsgi.app.extensions["toetsbatterij"]
    platform.engine.dispose(close=False)
    if platform.config["OUTAGE_BEAT"]:
        platform.ensure_beating()  # fair time: a respawned worker beats before its first request
