"""Where the answer-and-next-item request spends its time: SQL statements, CPU, a profile.

One command, in process (Flask test client, no network, no think time), on a fresh SQLite file
or an EMPTIED PostgreSQL database, with or without Redis::

    python -m bench.delivery.profile --candidates 5
    python -m bench.delivery.profile --database-url postgresql+psycopg://postgres@127.0.0.1:5432/toetsbatterij_bench \
        --redis-url redis://127.0.0.1:6379/12 --pyinstrument /tmp/answer.html

Statement counts and CPU per request do not depend on how loaded the machine is (the wall
times do), so they compare a change on a shared machine. "submit -> next" is what a browser
does: the answer POST and, when it answers with a redirect, the GET of the next screen.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from werkzeug.datastructures import MultiDict

from bench.delivery.seeding import (
    answers,
    csrf,
    empty_database,
    machine,
    presentation_id,
    section_index,
    seed,
    snapshot_itembank,
)


class Counter:
    """SQL statements by their first word, and Redis commands, during one request."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.sql: collections.Counter[str] = collections.Counter()
        self.active = False
        self.thread = threading.get_ident()
        self.trace: list[str] = []
        self.tracing = False
        event.listen(engine, "before_cursor_execute", self._on_sql)
        event.listen(engine, "commit", lambda conn: self._note("COMMIT"))
        event.listen(engine, "rollback", lambda conn: self._note("ROLLBACK"))

    def _note(self, kind: str) -> None:
        # only the request's own statements (the test client runs it in this thread; the
        # fair-time beat of a background thread is not part of the request)
        if self.active and threading.get_ident() == self.thread:
            self.sql[kind] += 1

    def _on_sql(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self._note(statement.lstrip().split(None, 1)[0].upper())
        if self.active and self.tracing and threading.get_ident() == self.thread:
            self.trace.append(" ".join(statement.split())[:160])


def count_redis(store: Any, counts: collections.Counter[str]) -> None:
    """Count the Redis round trips of a RedisStateStore (commands and pipelines)."""
    client = getattr(store, "_redis", None)
    if client is None:
        return
    main = threading.get_ident()
    original = client.execute_command

    def execute_command(*args: Any, **kwargs: Any) -> Any:
        if threading.get_ident() == main:
            counts["redis"] += 1
        return original(*args, **kwargs)

    client.execute_command = execute_command  # type: ignore[method-assign]
    from redis.client import Pipeline

    original_pipe = Pipeline.execute

    def pipe_execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        if threading.get_ident() == main:
            counts["redis"] += 1
        return original_pipe(self, *args, **kwargs)

    Pipeline.execute = pipe_execute  # type: ignore[method-assign]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--pyinstrument", default=None, metavar="FILE.html",
                        help="write a pyinstrument profile of the answer requests")
    parser.add_argument("--trace", action="store_true",
                        help="print the SQL statements of the last answer request")
    parser.add_argument("--inline", action="store_true",
                        help="ask for the next screen in the answer's own response (as the "
                             "page's script does); without it the browser's fallback: redirect")
    args = parser.parse_args()
    host = machine()
    tmp = Path(tempfile.mkdtemp(prefix="tb-profile-"))
    (tmp / "config.json").write_text(json.dumps({"SECRET_KEY": "bench"}))
    bank = snapshot_itembank(tmp)
    url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
    empty_database(url)
    env = {"TOETSBATTERIJ_INSTANCE_PATH": str(tmp), "TOETSBATTERIJ_DATABASE_URL": url,
           "TOETSBATTERIJ_SESSION_COOKIE_SECURE": "false", "TOETSBATTERIJ_ITEMBANK_PATH": str(bank)}
    if args.redis_url:
        env["TOETSBATTERIJ_REDIS_URL"] = args.redis_url
    import os

    os.environ.update(env)
    [(code, codes)] = seed(env, args.candidates)
    from toetsbatterij.web import create_app

    app = create_app()
    try:
        from toetsbatterij.web import warm_up
    except ImportError:  # a version from before the warm-up (a before/after comparison)
        warm_up = None
    if warm_up is not None:
        warm_up(app)  # as wsgi.py does in production
    platform = app.extensions["toetsbatterij"]
    if args.redis_url:
        platform.state_store.flush_prefix()
    counter = Counter(platform.engine)
    redis_counts: collections.Counter[str] = collections.Counter()
    count_redis(platform.state_store, redis_counts)
    profiler = None
    if args.pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
    per_request: list[dict[str, Any]] = []
    for i, access in enumerate(codes):
        rng = random.Random(i)
        client = app.test_client()
        # as a browser sends it (the CSRF check compares the referrer on HTTPS)
        client.environ_base["HTTP_REFERER"] = "https://localhost/"
        page = client.get("/").get_data(as_text=True)
        resp = client.post("/aanmelden", data={"csrf_token": csrf(page), "session_code": code,
                                               "access_code": access})
        if resp.status_code != 302:
            print(f"{access}: login HTTP {resp.status_code} {resp.get_data(as_text=True)[-300:]}",
                  file=sys.stderr)
            return 1
        page = client.get("/toets").get_data(as_text=True)
        for _ in range(300):
            if "U bent klaar" in page:
                break
            if 'name="step" value="practice"' in page:
                client.post("/toets/verder", data={"csrf_token": csrf(page), "step": "practice"})
                page = client.get("/toets").get_data(as_text=True)
            elif 'name="step" value="section"' in page:
                client.post("/toets/verder", data={"csrf_token": csrf(page), "step": "section",
                                                   "section_index": section_index(page)})
                page = client.get("/toets").get_data(as_text=True)
            elif presentation_id(page):
                fields = answers(page, rng)
                if args.inline:
                    fields.append(("inline", "1"))
                counter.sql.clear()
                counter.trace, counter.tracing = [], args.trace
                redis_counts.clear()
                counter.active = True
                if profiler is not None:
                    profiler.start()
                cpu, wall = time.thread_time(), time.perf_counter()
                resp = client.post("/toets/antwoord", data=MultiDict(fields))
                if resp.status_code == 302:
                    resp = client.get(resp.headers["Location"])
                cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
                if profiler is not None:
                    profiler.stop()
                counter.active = False
                if resp.status_code != 200:
                    print(f"{access}: HTTP {resp.status_code}", file=sys.stderr)
                    return 1
                page = resp.get_data(as_text=True)
                per_request.append({"cpu": cpu, "wall": wall, "sql": dict(counter.sql),
                                    "redis": redis_counts["redis"], "trace": counter.trace})
            else:
                print(f"{access}: unexpected page {page[:300]!r}", file=sys.stderr)
                return 1
    n = len(per_request)
    kinds = sorted({k for r in per_request for k in r["sql"]})
    print("# Answer and next item: statements and CPU per request (in process)\n")
    print("| machine | |\n|---|---|")
    for key, value in host:
        print(f"| {key} | {value} |")
    print(f"| database | {url.split(':')[0]} |\n| Redis | {'yes' if args.redis_url else 'no'} |")
    print(f"| mode | {'inline (one request)' if args.inline else 'redirect (POST + GET)'} |")
    print(f"\n{n} answers of {len(codes)} candidates.\n")
    print("| per submit -> next | mean | median |\n|---|---:|---:|")
    for kind in kinds:
        values = [r["sql"].get(kind, 0) for r in per_request]
        print(f"| SQL {kind} | {statistics.fmean(values):.1f} | {statistics.median(values):g} |")
    total = [sum(r["sql"].values()) for r in per_request]
    print(f"| SQL statements, all | {statistics.fmean(total):.1f} | {statistics.median(total):g} |")
    redis = [r["redis"] for r in per_request]
    print(f"| Redis round trips | {statistics.fmean(redis):.1f} | {statistics.median(redis):g} |")
    cpu = [r["cpu"] * 1000 for r in per_request]
    wall = [r["wall"] * 1000 for r in per_request]
    print(f"| CPU of the request's thread (ms) | {statistics.fmean(cpu):.1f} | "
          f"{statistics.median(cpu):.1f} |")
    print(f"| wall (ms) | {statistics.fmean(wall):.1f} | {statistics.median(wall):.1f} |")
    if args.trace:
        print("\nSQL of a typical answer request (the middle one):\n")
        for line in per_request[n // 2]["trace"]:
            print("    " + line)
    if profiler is not None:
        Path(args.pyinstrument).write_text(profiler.output_html())
        print(f"\nProfile: {args.pyinstrument}")
        print(profiler.output_text(unicode=False, color=False, show_all=False)[:6000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
