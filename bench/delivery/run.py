"""Submit -> next item without think time: a quick regression check of the embedded default.

This is NOT the load test (that is ``python -m bench.load``: hundreds of candidates at once with
think times, on gunicorn + PostgreSQL + Redis). It takes ``--candidates`` scripted candidates
through the test, ``--concurrency`` of them at a time, each answering as fast as the server
answers (no think time), on a fresh SQLite database without Redis::

    .venv/bin/python -m bench.delivery.run --candidates 20 --concurrency 10

(add ``--database-url postgresql+psycopg://postgres@127.0.0.1:5432/toetsbatterij_bench`` for
PostgreSQL). It prints a markdown table with the machine it ran on. It lives outside ``tests/``
so pytest never collects it (``testpaths = ["tests"]``).

It seeds an agency with one open session of N candidates, starts gunicorn on a free port,
drives every candidate through instructions, practice and all sections (answers chosen at
random), and reports the median and p95 of the time from POSTing an answer until the next
item's page has arrived (as the page sends it: the next screen in the answer's own response).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.cookiejar
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from bench.delivery.seeding import machine

ROOT = Path(__file__).resolve().parents[2]


def seed(env: dict[str, str], n: int) -> tuple[str, list[str]]:
    """Seed through the same composition root (and configuration) as the server under test."""
    from toetsbatterij.db import upgrade
    from toetsbatterij.platform import Platform

    platform = Platform.from_config(environ=env)
    upgrade(platform.database_url)
    try:
        with platform.unit_of_work() as db:
            return _seed(platform, db, n)
    finally:
        platform.close()


def _seed(platform: Any, db: Any, n: int) -> tuple[str, list[str]]:
    from toetsbatterij.delivery import proctoring, sessions
    from toetsbatterij.organisations import service as organisations

    clock = platform.clock
    rows = platform.sync_definitions(db)
    definition = next(r for r in rows if {s["skill"] for s in r.manifest["sections"]}
                      <= {"reading", "listening"})
    orgs = organisations.seed_agencies(db)
    loc = organisations.add_location(db, orgs[0].id, name="Benchlokaal")
    now = clock.now()
    sess = sessions.create_session(db, clock, organisation_id=orgs[0].id, actor_id=None,
                                   location_id=loc.id, test_definition_id=definition.id,
                                   starts_at=now - dt.timedelta(minutes=5),
                                   ends_at=now + dt.timedelta(hours=4))
    codes = []
    for i in range(n):
        cand = sessions.register_candidate(
            db, clock, organisation_id=orgs[0].id, actor_id=None, session_id=sess.id,
            data=sessions.CandidateInput(first_name=f"K{i}", last_name="Bench",
                                         birth_date=dt.date(1990, 1, 1), id_kind="foreign",
                                         id_number=f"BENCH{i:04d}", id_country="NL"))
        codes.append(cand.access_code)
    sessions.open_session(db, clock, organisation_id=orgs[0].id, actor_id=None,
                          session_id=sess.id)
    proctoring.admit_candidates(db, clock, organisation_id=orgs[0].id, session_id=sess.id,
                                candidate_ids=None, actor_id=None)
    return sess.code, codes


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as resp:
            return resp.read().decode("utf-8")

    def post(self, path: str, fields: list[tuple[str, str]]) -> str:
        data = urllib.parse.urlencode(fields).encode()
        with self.opener.open(self.base + path, data=data, timeout=60) as resp:
            return resp.read().decode("utf-8")  # redirects are followed: the next screen


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def answers(html: str, rng: random.Random) -> list[tuple[str, str]]:
    fields = [("csrf_token", csrf(html)),
              ("presentation_id", re.search(r'name="presentation_id" value="(\d+)"', html)[1])]
    radios: dict[str, list[str]] = {}
    for name, value in re.findall(r'type="radio" name="([^"]+)" value="([^"]+)"', html):
        radios.setdefault(name, []).append(value)
    fields += [(name, rng.choice(values)) for name, values in radios.items()]
    for name, value in re.findall(r'type="checkbox" name="([^"]+)" value="([^"]+)"', html):
        if rng.random() < 0.5:
            fields.append((name, value))
    for name in re.findall(r'<input class="gap" name="([^"]+)"', html):
        fields.append((name, rng.choice(["maandag", "10 uur", "de bus"])))
    for name, body in re.findall(r'<select name="([^"]+)">(.*?)</select>', html, re.S):
        options = re.findall(r'<option value="([^"]+)"', body)
        if options:
            fields.append((name, rng.choice(options)))
    for name in re.findall(r'<textarea name="([^"]+)"', html):
        fields.append((name, "Beste juf, mijn zoon is morgen ziek. Groeten."))
    if 'name="inline" value="1"' in html:
        fields.append(("inline", "1"))  # as the page's form sends it
    return fields


def run_candidate(base: str, code: str, access: str, seed_: int, out: list[float],
                  errors: list[str], think: float = 0.0) -> None:
    rng = random.Random(seed_)
    b = Browser(base)
    try:
        page = b.get("/")
        page = b.post("/aanmelden", [("csrf_token", csrf(page)), ("session_code", code),
                                     ("access_code", access)])
        for _ in range(200):
            if "U bent klaar" in page:
                return
            if 'name="step" value="practice"' in page:
                page = b.post("/toets/verder", [("csrf_token", csrf(page)), ("step", "practice")])
            elif 'name="step" value="section"' in page:
                idx = re.search(r'name="section_index" value="(\d+)"', page)[1]
                page = b.post("/toets/verder", [("csrf_token", csrf(page)), ("step", "section"),
                                                ("section_index", idx)])
            elif 'name="presentation_id"' in page:
                fields = answers(page, rng)
                if think:
                    time.sleep(rng.uniform(0, 2 * think))  # reading and answering
                started = time.perf_counter()
                page = b.post("/toets/antwoord", fields)
                if 'id="timer"' in page or "oefenvraag" in page:
                    out.append(time.perf_counter() - started)
            else:
                errors.append(f"{access}: unexpected page {page[:200]!r}")
                return
        errors.append(f"{access}: did not finish")
    except urllib.error.HTTPError as exc:
        body = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", exc.read().decode("utf-8", "replace")))
        errors.append(f"{access}: HTTP {exc.code} {body[-300:]}")
    except Exception as exc:  # noqa: BLE001 - report every failure, keep the others running
        errors.append(f"{access}: {exc!r}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--candidates", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default=None,
                        help="default: a fresh SQLite file; a PostgreSQL URL is EMPTIED first "
                             "(use a database of its own, e.g. toetsbatterij_bench)")
    parser.add_argument("--think-seconds", type=float, default=0.0,
                        help="mean time a candidate spends on a screen (uniform 0..2x)")
    parser.add_argument("--itembank", default=None,
                        help="default: the item bank as committed at HEAD (a stable snapshot)")
    args = parser.parse_args()
    host = machine()
    tmp = Path(tempfile.mkdtemp(prefix="tb-bench-"))
    (tmp / "config.json").write_text(json.dumps({"SECRET_KEY": "bench"}))
    if args.itembank is None:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "HEAD", "itembank"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
        args.itembank = str(tmp / "itembank")
    url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
    if url.startswith("postgresql"):
        from sqlalchemy import text

        from toetsbatterij.db import make_engine

        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    env = {**os.environ, "TOETSBATTERIJ_INSTANCE_PATH": str(tmp),
           "TOETSBATTERIJ_DATABASE_URL": url, "TOETSBATTERIJ_SESSION_COOKIE_SECURE": "false",
           "TOETSBATTERIJ_ITEMBANK_PATH": args.itembank}
    code, codes = seed(env, args.candidates)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers",
         str(args.workers), "--threads", "4", "wsgi:app"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=open(tmp / "gunicorn.log", "w"))  # noqa: SIM115
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/gezondheid", timeout=1).read()  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        latencies: list[float] = []
        errors: list[str] = []
        sem = threading.Semaphore(args.concurrency)

        def worker(i: int, access: str) -> None:
            with sem:
                run_candidate(base, code, access, i, latencies, errors, args.think_seconds)

        started = time.perf_counter()
        threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(codes)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    lat = sorted(latencies)
    p95 = lat[max(0, int(round(0.95 * len(lat))) - 1)] if lat else float("nan")
    median = statistics.median(lat) if lat else float("nan")
    print("# Delivery benchmark: answer submit -> next item\n")
    print("| machine | |\n|---|---|")
    for key, value in host:
        print(f"| {key} | {value} |")
    print(f"| database | {url.split(':')[0]} |")
    print(f"| gunicorn | {args.workers} workers x 4 threads |")
    print("\n| candidates | concurrency | think (s) | submits | median (ms) | p95 (ms) | "
          "max (ms) | wall (s) | errors |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {args.candidates} | {args.concurrency} | {args.think_seconds:g} | {len(lat)} | "
          f"{median * 1000:.1f} | {p95 * 1000:.1f} | {lat[-1] * 1000 if lat else float('nan'):.1f}"
          f" | {wall:.1f} | {len(errors)} |")
    print("\nLatency: POST of an answer until the next item's page has arrived (as the page "
          "sends it), every submit of every candidate; practice included.")
    for e in errors[:10]:
        print("  " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
