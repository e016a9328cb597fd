"""Layered configuration: defaults -> instance file -> ``TOETSBATTERIJ_*`` environment -> overrides.

An unknown key at any layer is an error: a typo in a deployment file must not silently fall back
to a default (for example a session lifetime or a database URL).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from toetsbatterij.errors import ConfigurationError

ENV_PREFIX = "TOETSBATTERIJ_"
#: Environment names with the prefix that are not configuration keys (paths for the launcher,
#: test-only settings).
RESERVED_ENV = {"INSTANCE_PATH", "BIND", "WORKERS", "THREADS", "ACCESS_LOG"}  # + gunicorn's (deploy/)

DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": None,  # required outside testing; generated for the demo by scripts/run-demo
    "DATABASE_URL": "sqlite:///instance/toetsbatterij.sqlite3",
    "REDIS_URL": None,  # None: the null state store (embedded default, no Redis)
    "ITEMBANK_PATH": str(Path(__file__).resolve().parent.parent / "itembank"),
    "TESTING": False,
    "DEBUG": False,
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "tb_session",
    "REMEMBER_COOKIE_SECURE": True,
    "REMEMBER_COOKIE_HTTPONLY": True,
    # Longer than the longest exam day: a form opened at 8:00 must still post at 17:00.
    "WTF_CSRF_TIME_LIMIT": 12 * 3600,
    "WTF_CSRF_ENABLED": True,
    "PERMANENT_SESSION_LIFETIME": 12 * 3600,
    # Staff logins: after LOGIN_MAX_FAILURES wrong tries per typed address, each further one
    # starts a delay of LOGIN_BACKOFF_SECONDS that doubles, up to LOGIN_LOCK_SECONDS.
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_BACKOFF_SECONDS": 30,
    "LOGIN_LOCK_SECONDS": 15 * 60,
    "PASSWORD_MIN_LENGTH": 12,
    # Server-side login sessions (toetsbatterij.login_sessions), per role: a session ends after
    # SESSION_IDLE_SECONDS without a request and SESSION_ABSOLUTE_SECONDS after the login,
    # whichever comes first. Every staff role and "candidate" must be given.
    "SESSION_IDLE_SECONDS": {"candidate": 3600, "agency_admin": 3600, "proctor": 2 * 3600,
                             "rater": 3600, "psychometrician": 3600},
    "SESSION_ABSOLUTE_SECONDS": {"candidate": 12 * 3600, "agency_admin": 12 * 3600,
                                 "proctor": 12 * 3600, "rater": 12 * 3600,
                                 "psychometrician": 12 * 3600},
    # With a shared state store (Redis) a session's row is cached this long (its revocation
    # deletes the copy at once); the database stays the truth.
    "SESSION_CACHE_SECONDS": 60,
    # Retention in days per data kind (toetsbatterij.privacy.retention; docs/privacy.md §5): the
    # erasure job `python -m toetsbatterij.cli erase-expired` removes what is older. The
    # lengths are the agency's decision; these defaults are placeholders to be confirmed.
    "RETENTION_DAYS": {"identity": 730, "responses": 730, "recordings": 730, "incidents": 730,
                       "sessions": 30, "login_throttle": 1, "staff": 730},
    "SUBMIT_GRACE_SECONDS": 2,
    # Fair time (toetsbatterij.delivery.outages): a gap longer than this in the platform's
    # beat (no worker alive, or the database away) is an outage, given back to every running
    # section; one longer than OUTAGE_PAUSE_AFTER_SECONDS also pauses those attempts (the
    # proctor resumes the room). OUTAGE_BEAT: the app processes beat (not in TESTING).
    "OUTAGE_CREDIT_AFTER_SECONDS": 2,
    "OUTAGE_BEAT": True,
    "OUTAGE_PAUSE_AFTER_SECONDS": 120,
    "MEDIA_URL_TTL_SECONDS": 15 * 60,
    # One audio play is one grant: its first request opens a window of this many seconds for
    # the range requests of that one playback (never a second request from byte 0), and at
    # most MEDIA_GRANT_MAX_REQUESTS requests.
    "MEDIA_GRANT_WINDOW_SECONDS": 30,
    "MEDIA_GRANT_MAX_REQUESTS": 12,
    "LIVE_POLL_SECONDS": 3,
    # Speaking recordings: where the chunks are stored (None: "recordings" in the instance
    # folder), the largest chunk accepted, the browser's MediaRecorder timeslice, the margin
    # over a task's response_seconds, and how often one take may be resumed after a crash.
    "RECORDINGS_PATH": None,
    "RECORDING_CHUNK_MAX_BYTES": 256 * 1024,
    "RECORDING_CHUNK_SECONDS": 2,
    "RECORDING_MARGIN_SECONDS": 3,
    "RECORDING_MAX_PARTS": 8,
    # The recording studio (toetsbatterij.studio): where authors' takes wait (None: "studio" in
    # the instance folder), the largest take accepted (one turn of a script: 180 s of Opus at
    # the studio's 48 kbit/s is about 1.1 MB) and its longest duration.
    "STUDIO_PATH": None,
    "STUDIO_TAKE_MAX_BYTES": 1_500_000,
    "STUDIO_TAKE_MAX_SECONDS": 180,
    # Writing: the browser saves a changed text after this many seconds (and on leaving the box).
    "AUTOSAVE_SECONDS": 5,
    # Rating (toetsbatterij.rating): who rates a production: raters of the candidate's own
    # agency ("organisation") or a pool shared by every agency ("shared").
    "RATING_POOL": "organisation",
    # Two ratings call for a senior rater's third rating when they differ by more than
    # "criterion" points on any criterion or "total" points on the sum (rating.resolution.
    # Thresholds.from_config): "default", and optionally per rubric id.
    "RATING_THRESHOLDS": {"default": {"criterion": 1, "total": 2}},
    # The share of "next production" requests that serves a pre-scored control response
    # instead (unannounced; only while live work waits for the rater).
    "RATING_CONTROL_RATE": 0.1,
    # A rater is admitted to a skill after a calibration set with at least this share of the
    # criterion scores equal to the reference ("exact") and at most one point off ("adjacent").
    "RATING_ADMISSION": {"exact": 0.5, "adjacent": 0.9},
    # An assignment not submitted after this many hours goes back to the queue (its draft is
    # dropped), so an absent rater never holds a production up.
    "RATING_ASSIGNMENT_HOURS": 48,
    "PREFERRED_URL_SCHEME": "https",
    "BABEL_DEFAULT_LOCALE": "nl",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Brussels",
    "TIMEZONE": "Europe/Brussels",
    # Monitoring and survey summaries never show a group of fewer people than this
    # (disclosure control).
    "MONITORING_MIN_GROUP": 10,
    # The Flemish agency: its admins and psychometricians see every agency's figures together.
    "MONITORING_CENTRAL_ORGANISATION": "agii",
    # Results (toetsbatterij.results): adjust rated sections for rater severity ("fair scores",
    # the thresholds of each rater's observations shifted by the rater's severity). Recorded on
    # every result (its rules); off by default.
    "RESULTS_FAIR_SCORES": False,
    # Store the test definitions of the bank this server delivers when the app starts (the
    # staff screens then list exactly what can be planned); `cli sync-definitions` does the same.
    "SYNC_DEFINITIONS_ON_START": True,
    # Attests (toetsbatterij.attests). The public address of this platform: the QR code, the
    # verification page and every signed credential name it, so it comes from the
    # configuration and never from a request's Host header (None: the web layer uses the
    # request's own address, fine for a developer's machine only).
    "PUBLIC_BASE_URL": None,
    # The Ed25519 signing key: a PEM private key given inline (environment
    # TOETSBATTERIJ_SIGNING_KEY) or as a file; with neither, one is generated on first use
    # into <instance>/signing-keys/current.pem (mode 600). Never in the repository.
    "SIGNING_KEY": None,
    "SIGNING_KEY_FILE": None,
    # Public verification: wrong birth dates per attest number before a growing delay, and
    # lookups of unknown attests per client before one (the client address is only hashed
    # into the throttle table, which keeps rows one day; the verification log holds none).
    "VERIFY_MAX_BIRTH_DATE_FAILURES": 5,
    "VERIFY_MAX_UNKNOWN_LOOKUPS": 20,
    # Complaints (toetsbatterij.complaints): the deadline of each step, in calendar days after
    # the day the complaint was received (after the Flemish complaints decree: a receipt within
    # 10 days, a decision within 45); stored on each complaint when it is recorded. "review":
    # the re-ratings of the contested productions are in.
    "COMPLAINT_DEADLINES": {"acknowledge": 10, "review": 30, "decide": 45},
    # The public complaint form: submissions per client address (only hashed, into the
    # throttle table) within an hour before a growing delay. Every submission counts, matched
    # or not: the answer and the limit are the same either way, so neither tells whether a
    # reference exists.
    "COMPLAINT_MAX_SUBMISSIONS": 5,
    # The partner API (toetsbatterij.partners): requests per token per window (a fixed window
    # counted in the state store: Redis when configured, in-process otherwise).
    "PARTNER_API_RATE_LIMIT": 120,
    "PARTNER_API_RATE_WINDOW_SECONDS": 60,
    # Partner webhooks are delivered to https addresses only; true also allows http (tests, a
    # partner's test endpoint on a closed network).
    "PARTNER_WEBHOOK_ALLOW_HTTP": False,
}

_BOOL_WORDS = {"1": True, "true": True, "yes": True, "on": True,
               "0": False, "false": False, "no": False, "off": False}


def _coerce(key: str, raw: str) -> Any:
    """Convert an environment string to the type of the default (JSON for anything else)."""
    default = DEFAULTS[key]
    if isinstance(default, bool):
        try:
            return _BOOL_WORDS[raw.strip().lower()]
        except KeyError:
            raise ConfigurationError(f"{ENV_PREFIX}{key}: expected a boolean, got {raw!r}") from None
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigurationError(f"{ENV_PREFIX}{key}: expected an integer, got {raw!r}") from None
    if default is None or isinstance(default, str):
        return raw
    return json.loads(raw)


def _check_keys(layer: str, values: Mapping[str, Any]) -> None:
    unknown = sorted(set(values) - set(DEFAULTS))
    if unknown:
        raise ConfigurationError(f"unknown configuration key(s) in {layer}: {', '.join(unknown)}")


def load_instance_file(path: Path) -> dict[str, Any]:
    """Read ``config.json`` (JSON object) from the instance folder, if present."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path}: expected a JSON object")
    return data


def load_config(
    instance_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    require_secret: bool = True,
) -> dict[str, Any]:
    """Merge the four layers and return a plain dict; raise on unknown keys or missing secrets
    (commands that sign nothing pass ``require_secret=False``)."""
    config = dict(DEFAULTS)
    if instance_file is not None:
        layer = load_instance_file(instance_file)
        _check_keys(str(instance_file), layer)
        config.update(layer)
    env = os.environ if environ is None else environ
    env_layer = {
        name[len(ENV_PREFIX):]: value
        for name, value in env.items()
        if name.startswith(ENV_PREFIX) and not name.startswith(ENV_PREFIX + "TEST_")
        and name[len(ENV_PREFIX):] not in RESERVED_ENV
    }
    _check_keys("environment", env_layer)
    config.update({key: _coerce(key, value) for key, value in env_layer.items()})
    if overrides:
        _check_keys("overrides", overrides)
        config.update(overrides)
    if require_secret and not config["SECRET_KEY"]:
        raise ConfigurationError("SECRET_KEY is not set (TOETSBATTERIJ_SECRET_KEY or instance/config.json)")
    return config
