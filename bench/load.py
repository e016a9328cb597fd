"""Load test of the exam room: candidates log in, practise and take a whole reading +
listening test with realistic think times against gunicorn + PostgreSQL + Redis.

One command (it starts everything itself: a private redis-server, gunicorn with
``deploy/gunicorn.conf.py``, and seeds a fresh benchmark database, EMPTIED first)::

    python -m bench.load --candidates 500

Candidates start spread over ``--ramp-seconds`` (the target is reached at the end of the ramp);
each one reads the instructions, answers the practice items and then every item of both
sections: a think time (log-normal, mean ``--think-seconds``) per screen, the page's heartbeat
(``POST /toets/status.json`` every ``LIVE_POLL_SECONDS``) while it thinks, one play of every
listening fragment (the counted play and the audio file itself), and the answer as the page
sends it (the next screen comes in the answer's own response). It prints p50/p95/p99 of
submit -> next (from sending an answer until the next screen has arrived), the throughput, the
errors, and the CPU used by the app workers, PostgreSQL, Redis and this load generator
(psutil), with the machine it ran on and how loaded that machine was.

``--database-url`` (default: the local PostgreSQL, database ``toetsbatterij_load``, created
when missing), ``--redis-url`` (default: a private redis-server), ``--no-redis`` (the
embedded default's null store; one worker). It lives outside ``tests/`` (never collected).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import math
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

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
from bench.services import (
    CpuSampler,
    Gunicorn,
    PrivateRedis,
    ensure_database,
    postgres_backends,
)

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/toetsbatterij_load"
# A connection refused or reset, a response cut in the middle (its worker was killed): the
# browser shows an error or half a page and the candidate reloads or sends again.
RETRYABLE = (aiohttp.ClientConnectionError, asyncio.TimeoutError, aiohttp.ServerDisconnectedError,
             aiohttp.ClientPayloadError)


@dataclasses.dataclass
class Stats:
    submit: list[tuple[float, float]] = dataclasses.field(default_factory=list)  # (t, seconds)
    login: list[float] = dataclasses.field(default_factory=list)
    heartbeat: list[float] = dataclasses.field(default_factory=list)
    other: list[float] = dataclasses.field(default_factory=list)
    errors: list[str] = dataclasses.field(default_factory=list)
    retries: int = 0
    replays: int = 0  # audio played again after a cut playback
    relogins: int = 0  # login page reloaded after "het formulier is verlopen"
    finished: int = 0
    started: int = 0
    active: int = 0
    peak_active: int = 0
    # candidate -> presentation id -> the answer fields the server acknowledged
    acknowledged: dict[str, dict[int, list[tuple[str, str]]]] = dataclasses.field(
        default_factory=dict)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(math.ceil(p / 100 * len(ordered))) - 1))
    return ordered[k]


class Candidate:
    """One scripted browser: cookies of its own, the page's requests in the page's order."""

    def __init__(self, run: LoadRun, index: int, session_code: str, access_code: str) -> None:
        self.run, self.index = run, index
        self.session_code, self.access_code = session_code, access_code
        self.rng = random.Random(index)
        self.http: aiohttp.ClientSession | None = None
        self.page = ""
        self.span = (0.0, 0.0)  # monotonic send and receive time of the last request

    # -- requests, with the retries a candidate makes when the server is away ---------------------

    async def request(self, method: str, path: str, *, data: Any = None, headers: Any = None,
                      kind: str = "other", retry: bool = True) -> tuple[int, str]:
        assert self.http is not None
        url = path if path.startswith("http") else self.run.base + path
        waited = 0.0
        while True:
            started = time.perf_counter()
            try:
                async with self.http.request(method, url, data=data, headers=headers,
                                             allow_redirects=True) as resp:
                    body = await resp.read()
                    status = resp.status
            except RETRYABLE as exc:
                if not retry or waited > self.run.give_up_seconds:
                    raise
                self.run.stats.retries += 1
                self.run.on_unreachable(self, repr(exc))
                await asyncio.sleep(1.0)
                waited += 1.0 + time.perf_counter() - started
                continue
            elapsed = time.perf_counter() - started
            self.span = (time.monotonic() - elapsed, time.monotonic())
            if status >= 500 and retry and waited <= self.run.give_up_seconds:
                # a worker died under the request (chaos) or the database is away: try again
                self.run.stats.retries += 1
                self.run.on_unreachable(self, f"HTTP {status}")
                await asyncio.sleep(1.0)
                waited += 1.0 + elapsed
                continue
            bucket = {"submit": None, "login": self.run.stats.login,
                      "heartbeat": self.run.stats.heartbeat}.get(kind, self.run.stats.other)
            if kind == "submit":
                self.run.stats.submit.append((time.monotonic(), elapsed))
            elif bucket is not None:
                bucket.append(elapsed)
            if path.endswith(".ogg") or resp.content_type.startswith("audio"):
                return status, ""
            return status, body.decode("utf-8", "replace")

    async def think(self, mean: float) -> None:
        """Read and answer: a log-normal think time; the page's heartbeat keeps running."""
        if mean <= 0:
            return
        sigma = 0.6
        seconds = self.rng.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma)
        poll = self.run.poll_seconds
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(poll, left))
            if poll and time.monotonic() < deadline and 'id="timer"' in self.page:
                await self.heartbeat()

    async def heartbeat(self) -> None:
        token = re.search(r'id="i18n" hidden data-csrf="([^"]+)"', self.page)
        status, body = await self.request(
            "POST", "/toets/status.json", kind="heartbeat",
            headers={"Accept": "application/json", "X-CSRFToken": token[1] if token else ""})
        if status != 200:
            self.run.error(self, f"heartbeat HTTP {status}")
        else:
            self.run.on_status(self, json.loads(body))

    async def play_audio(self, again: bool = True) -> None:
        url = re.search(r'data-play-url="([^"]+)"', self.page)
        token = re.search(r'class="audio" data-play-url="[^"]+"\s+data-csrf="([^"]+)"', self.page)
        if url is None or token is None:
            return
        status, body = await self.request("POST", url[1], headers={
            "Accept": "application/json", "X-CSRFToken": token[1]})
        if status != 200:
            self.run.error(self, f"audio play HTTP {status}: {body[:120]!r}")
            return
        play = json.loads(body)
        status, _ = await self.request("GET", play["url"])
        if status == 409 and again and play.get("plays_left", 0) > 0:
            # The playback was cut (a worker died under it): its grant is spent, so the
            # candidate presses play again, which counts a play.
            self.run.stats.replays += 1
            await self.play_audio(again=False)
        elif status != 200:
            self.run.error(self, f"audio file HTTP {status}")

    # -- the way through the test -----------------------------------------------------------------

    async def go(self) -> None:
        run = self.run
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(connector=run.connector, connector_owner=False,
                                         cookie_jar=jar, timeout=run.timeout) as self.http:
            run.stats.started += 1
            run.stats.active += 1
            run.stats.peak_active = max(run.stats.peak_active, run.stats.active)
            try:
                await self._go()
            except Exception as exc:  # noqa: BLE001 - count it, keep the others running
                run.error(self, f"{type(exc).__name__}: {exc}")
            finally:
                run.stats.active -= 1

    async def _go(self) -> None:
        run = self.run
        _, page = await self.request("GET", "/")
        await asyncio.sleep(self.rng.uniform(2, 6))  # typing the codes from the ticket
        for tries in range(3):
            status, self.page = await self.request(
                "POST", "/aanmelden", kind="login",
                data={"csrf_token": csrf(page), "session_code": self.session_code,
                      "access_code": self.access_code})
            if status != 400 or tries == 2:
                break
            # "Het formulier is verlopen ... Laad de pagina opnieuw": a login whose answer was
            # lost in a crash left a new session cookie; the candidate reloads and logs in.
            run.stats.relogins += 1
            _, page = await self.request("GET", "/")
        if status != 200:
            run.error(self, f"login HTTP {status}")
            return
        for _ in range(400):
            page = self.page
            if "U bent klaar" in page:
                run.stats.finished += 1
                run.on_finished(self)
                return
            if 'name="step" value="practice"' in page:
                await self.think(run.think_seconds * 2)
                _, self.page = await self.request("POST", "/toets/verder", data={
                    "csrf_token": csrf(page), "step": "practice"})
            elif 'name="step" value="section"' in page:
                await self.think(run.think_seconds)
                _, self.page = await self.request("POST", "/toets/verder", data={
                    "csrf_token": csrf(page), "step": "section",
                    "section_index": section_index(page) or "0"})
            elif presentation_id(page):
                if "data-play-url" in page:
                    await self.play_audio()
                await self.think(run.think_seconds)
                fields = answers(page, self.rng) + [("inline", "1")]
                pid = int(presentation_id(page) or 0)
                status, self.page = await self.request("POST", "/toets/antwoord", data=fields,
                                                       kind="submit")
                if status == 200:
                    run.stats.acknowledged.setdefault(self.access_code, {})[pid] = fields
                    run.on_acknowledged(self, pid, self.page)
                else:
                    run.error(self, f"answer HTTP {status}")
                    await asyncio.sleep(1)
                    _, self.page = await self.request("GET", "/toets")
            elif "paused" in page or "gepauzeerd" in page.lower() or "Even wachten" in page:
                await asyncio.sleep(run.poll_seconds or 3)
                _, self.page = await self.request("GET", "/toets")
            else:
                text = re.sub(r"<[^>]+>|\s+", " ", page)[:160]
                run.error(self, f"unexpected page {text!r}")
                await asyncio.sleep(2)
                _, self.page = await self.request("GET", "/toets")
        run.error(self, "did not finish")


class LoadRun:
    """Candidates against a running server; hooks (``on_*``) for the chaos script."""

    def __init__(self, base: str, rooms: list[tuple[str, list[str]]], *, think_seconds: float,
                 ramp_seconds: float, poll_seconds: float, give_up_seconds: float = 0) -> None:
        self.base = base
        self.rooms = rooms
        self.think_seconds, self.ramp_seconds = think_seconds, ramp_seconds
        self.poll_seconds = poll_seconds
        self.give_up_seconds = give_up_seconds
        self.stats = Stats()
        self.timeout = aiohttp.ClientTimeout(total=60)
        self.connector: aiohttp.TCPConnector | None = None
        self.candidates: list[Candidate] = []

    def error(self, cand: Candidate, text: str) -> None:
        self.stats.errors.append(f"{cand.access_code}: {text}")

    def on_unreachable(self, cand: Candidate, why: str) -> None: ...

    def on_status(self, cand: Candidate, status: dict[str, Any]) -> None: ...

    def on_acknowledged(self, cand: Candidate, pid: int, page: str) -> None: ...

    def on_finished(self, cand: Candidate) -> None: ...

    async def run(self) -> float:
        # Idle connections are dropped before gunicorn's keep-alive (5 s) drops them, as a
        # browser's would be re-opened: no request is sent on a connection being closed.
        self.connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=3.0)
        flat = [(code, access) for code, codes in self.rooms for access in codes]
        self.candidates = [Candidate(self, i, code, access) for i, (code, access) in
                           enumerate(flat)]
        started = time.monotonic()

        async def later(cand: Candidate, delay: float) -> None:
            await asyncio.sleep(delay)
            await cand.go()

        step = self.ramp_seconds / max(1, len(flat))
        await asyncio.gather(*(later(c, i * step) for i, c in enumerate(self.candidates)))
        await self.connector.close()
        return time.monotonic() - started


def setup(args: argparse.Namespace, tmp: Path) -> tuple[dict[str, str], Any, str]:
    """Instance folder, item bank snapshot, database and Redis for a run; returns the
    environment of the server, the private Redis (or None) and the database URL."""
    (tmp / "config.json").write_text(json.dumps({"SECRET_KEY": "bench-" + os.urandom(8).hex()}))
    bank = snapshot_itembank(tmp)
    url = args.database_url
    ensure_database(url)
    empty_database(url)
    env = {**os.environ, "TOETSBATTERIJ_INSTANCE_PATH": str(tmp),
           "TOETSBATTERIJ_DATABASE_URL": url, "TOETSBATTERIJ_SESSION_COOKIE_SECURE": "false",
           "TOETSBATTERIJ_ITEMBANK_PATH": str(bank)}
    redis = None
    if not args.no_redis:
        if args.redis_url:
            env["TOETSBATTERIJ_REDIS_URL"] = args.redis_url
        else:
            redis = PrivateRedis(tmp)
            redis.start()
            env["TOETSBATTERIJ_REDIS_URL"] = redis.url
    return env, redis, url


def add_arguments(parser: argparse.ArgumentParser, candidates: int) -> None:
    parser.add_argument("--candidates", type=int, default=candidates)
    parser.add_argument("--room-size", type=int, default=25, help="candidates per exam room")
    parser.add_argument("--think-seconds", type=float, default=5.0,
                        help="mean think time per screen (log-normal)")
    parser.add_argument("--ramp-seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers (default: the production configuration's)")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database-url", default=DEFAULT_PG,
                        help="EMPTIED first: use a database of its own")
    parser.add_argument("--redis-url", default=None, help="default: a private redis-server")
    parser.add_argument("--no-redis", action="store_true")
    parser.add_argument("--poll-seconds", type=float, default=None,
                        help="heartbeat interval (default: the app's LIVE_POLL_SECONDS; 0: none)")


def print_report(args: argparse.Namespace, host: list[tuple[str, str]], server: Gunicorn,
                 url: str, stats: Stats, wall: float, cpu: CpuSampler,
                 load_end: str) -> None:
    subs = [s for _, s in stats.submit]
    print("# Load test: the exam room under load\n")
    print("| machine | |\n|---|---|")
    for key, value in host:
        print(f"| {key} | {value} |")
    print(f"| load average at end (1, 5, 15 min) | {load_end} |")
    print(f"| database | {url.split('@')[-1]} ({url.split(':')[0]}) |")
    print(f"| Redis | {'none (null store)' if args.no_redis else 'yes'} |")
    print(f"| gunicorn | {server.workers} workers x {server.threads} threads "
          "(deploy/gunicorn.conf.py, preloaded) |")
    print(f"| candidates | {args.candidates} in rooms of {args.room_size}, ramp "
          f"{args.ramp_seconds:g} s, think {args.think_seconds:g} s mean, heartbeat every "
          f"{args.poll_seconds:g} s |")
    print(f"| peak concurrent candidates | {stats.peak_active} |")
    if stats.submit:
        t0 = min(t for t, _ in stats.submit)
        t1 = max(t for t, _ in stats.submit)
        rate = len(subs) / max(1e-9, t1 - t0)
    else:
        rate = 0.0
    print("\n| request | count | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, values in (("submit -> next", subs), ("login", stats.login),
                         ("heartbeat", stats.heartbeat), ("other", stats.other)):
        print(f"| {name} | {len(values)} | {percentile(values, 50) * 1000:.0f} | "
              f"{percentile(values, 95) * 1000:.0f} | {percentile(values, 99) * 1000:.0f} | "
              f"{(max(values) if values else float('nan')) * 1000:.0f} |")
    print(f"\nThroughput: {rate:.1f} submits/s ({len(subs)} in {wall:.0f} s of run); "
          f"finished {stats.finished}/{args.candidates}; errors {len(stats.errors)}; "
          f"retries {stats.retries}; audio replays {stats.replays}; login reloads "
          f"{stats.relogins}.")
    print("\n| CPU (user + system) | seconds | share of the machine's busy time | "
          "ms per submit |\n|---|---:|---:|---:|")
    groups = dict(cpu.used)
    groups["everything else on the machine"] = max(0.0, cpu.machine_busy - sum(cpu.used.values()))
    for name, used in groups.items():
        share = used / cpu.machine_busy * 100 if cpu.machine_busy else float("nan")
        print(f"| {name} | {used:.1f} | {share:.0f} % | "
              f"{used * 1000 / max(1, len(subs)):.1f} |")
    idle = cpu.machine_total - cpu.machine_busy
    print(f"| (machine idle) | {idle:.1f} | | |")
    for line in stats.errors[:15]:
        print("  " + line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser, 200)
    args = parser.parse_args()
    if args.no_redis:
        args.workers = 1  # the null store is process-local: one worker
    host = machine()
    tmp = Path(tempfile.mkdtemp(prefix="tb-load-"))
    env, redis, url = setup(args, tmp)
    print(f"seeding {args.candidates} candidates ...", file=sys.stderr)
    rooms = seed(env, args.candidates, sessions_of=args.room_size)
    from toetsbatterij.config import DEFAULTS

    if args.poll_seconds is None:
        args.poll_seconds = float(DEFAULTS["LIVE_POLL_SECONDS"])
    workers = args.workers or 2 * (os.cpu_count() or 1)
    server = Gunicorn(env, workers, args.threads, tmp / "gunicorn.log")
    try:
        server.start()
    except BaseException:
        server.stop()
        if redis is not None:
            redis.stop()
        raise
    dbname = url.rsplit("/", 1)[-1]
    groups = {"app (gunicorn master + workers)":
              lambda: ([server.proc.pid] if server.proc else []) + server.worker_pids(),
              "PostgreSQL (backends of the run's database)": postgres_backends(dbname),
              "Redis": lambda: [redis.pid] if redis and redis.pid else [],
              "load generator": lambda: [os.getpid()]}
    cpu = CpuSampler(groups)
    run = LoadRun(server.base, rooms, think_seconds=args.think_seconds,
                  ramp_seconds=args.ramp_seconds, poll_seconds=args.poll_seconds)
    print(f"running against {server.base} ...", file=sys.stderr)
    cpu.start()
    try:
        wall = asyncio.run(run.run())
    finally:
        cpu.stop()
        load_end = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        server.stop()
        if redis is not None:
            redis.stop()
    print_report(args, host, server, url, run.stats, wall, cpu, load_end)
    return 1 if run.stats.errors or run.stats.finished < args.candidates else 0


if __name__ == "__main__":
    sys.exit(main())
