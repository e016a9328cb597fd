"""Chaos test: a load run during which the app workers are killed, Redis and PostgreSQL restart,
and afterwards the checks that nothing an exam needs was lost.

One command (a private PostgreSQL cluster made with initdb/pg_ctl in a temp folder, a private
redis-server, gunicorn with ``deploy/gunicorn.conf.py``; nothing of the system's is touched)::

    python -m bench.chaos --candidates 200

During the run (the candidates of ``bench.load``, who retry as a browser's candidate would
when the server does not answer) it kills ALL app workers with SIGKILL at random moments, at
least ``--kills`` times (the gunicorn master forks new ones), restarts Redis once (empty: it
keeps nothing on disk) and PostgreSQL once (``pg_ctl stop -m immediate``: a crash, recovered
from the WAL). A few candidates (``--abandon``) leave in the middle of a section and never
come back. Afterwards it checks:

- 0 acknowledged responses lost: every answer whose request was answered with the next screen
  is in the database, every item of it;
- 0 duplicated: no item answered twice, no unit presented twice in an attempt;
- every candidate resumed at their item: each heartbeat after an outage names the item the
  candidate's page shows;
- the remaining time is right within 2 s: between two heartbeats on the same item across an
  outage, the time left went down by the time that passed minus the outage (credited);
- the database's own integrity checks pass (pg_amcheck, heap and every index);
- the sweep (at the deadline, with a clock set past the session's end) closes the attempts of
  the candidates who never came back, every answer they gave kept.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.delivery.seeding import machine, seed
from bench.load import Candidate, LoadRun, add_arguments, percentile, setup
from bench.services import (
    CpuSampler,
    Gunicorn,
    PrivatePostgres,
    postgres_backends,
    postgres_tool,
)


class ChaosRun(LoadRun):
    """The load run, noting what the checks need: heartbeats and the abandoned candidates."""

    def __init__(self, *args: Any, abandon: set[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.abandon = abandon
        self.observations: dict[str, list[tuple[float, int, int, int]]] = {}
        self.answers_in_section: dict[str, int] = {}
        self.mismatches: list[str] = []

    def on_status(self, cand: Candidate, status: dict[str, Any]) -> None:
        import re

        page_pid = re.search(r'name="presentation_id" value="(\d+)"', cand.page)
        if status.get("kind") != "item" or page_pid is None:
            return
        pid = int(page_pid[1])
        if status.get("presentation_id") != pid:
            self.mismatches.append(f"{cand.access_code}: page {pid}, server "
                                   f"{status.get('presentation_id')}")
        sent, received = cand.span
        self.observations.setdefault(cand.access_code, []).append(
            (sent, pid, int(status["remaining_seconds"]), received))

    def on_acknowledged(self, cand: Candidate, pid: int, page: str) -> None:
        if cand.access_code in self.abandon and 'id="timer"' in page:
            n = self.answers_in_section.get(cand.access_code, 0) + 1
            self.answers_in_section[cand.access_code] = n
            if n >= 3:
                raise Abandoned()


class Abandoned(Exception):
    """The candidate leaves and never comes back."""


async def chaos(run: ChaosRun, server: Gunicorn, redis: Any, pg: PrivatePostgres, kills: int,
                every: float, rng: random.Random, windows: list[tuple[str, float, float]],
                done: asyncio.Event) -> dict[str, int]:
    """Kill every worker ``kills`` times (random moments, about ``every`` s apart), restart
    Redis after the third kill and PostgreSQL after the sixth. Each outage window is measured
    from the blow until the app answers again (a request that reaches the database)."""
    counts = {"kills": 0, "redis_restarts": 0, "postgres_restarts": 0}
    loop = asyncio.get_running_loop()

    def healthy() -> bool:
        try:
            with urllib.request.urlopen(server.base + "/", timeout=2) as resp:  # noqa: S310
                return resp.status == 200
        except Exception:  # noqa: BLE001
            return False

    async def until_healthy() -> float:
        while not await loop.run_in_executor(None, healthy):
            await asyncio.sleep(0.1)
        return time.monotonic()

    await asyncio.sleep(every)
    while counts["kills"] < kills:
        await asyncio.sleep(rng.uniform(0.5, 1.5) * every)
        started = time.monotonic()
        pids = server.kill_workers()
        if pids:
            counts["kills"] += 1
            windows.append(("kill", started, await until_healthy()))
        if counts["kills"] == 3 and not counts["redis_restarts"]:
            await asyncio.sleep(rng.uniform(1, 4))
            started = time.monotonic()
            await loop.run_in_executor(None, redis.restart)
            counts["redis_restarts"] += 1
            windows.append(("redis", started, time.monotonic()))
        if counts["kills"] == 6 and not counts["postgres_restarts"]:
            await asyncio.sleep(rng.uniform(1, 4))
            started = time.monotonic()
            await loop.run_in_executor(None, pg.restart)
            counts["postgres_restarts"] += 1
            windows.append(("postgres", started, await until_healthy()))
    return counts


def check(run: ChaosRun, env: dict[str, str], windows: list[tuple[str, float, float]],
          pg: PrivatePostgres) -> list[tuple[str, str, bool]]:
    """The checks after the run: (what, figure, passed)."""
    from sqlalchemy import func, select

    from toetsbatterij.clock import FrozenClock
    from toetsbatterij.delivery import attempts
    from toetsbatterij.delivery.models import Attempt, Presentation, Response
    from toetsbatterij.delivery.models import Candidate as CandidateRow
    from toetsbatterij.platform import Platform

    out: list[tuple[str, str, bool]] = []
    platform = Platform.from_config(environ=env)
    try:
        with platform.unit_of_work() as db:
            lost = 0
            acknowledged = 0
            for answered in run.stats.acknowledged.values():
                for pid in answered:
                    acknowledged += 1
                    pres = db.get(Presentation, pid)
                    stored = db.scalar(select(func.count()).select_from(Response)
                                       .where(Response.presentation_id == pid))
                    if pres is None or pres.answered_at is None or stored != len(pres.item_ids):
                        lost += 1
            out.append(("acknowledged answers lost", f"{lost} of {acknowledged}", lost == 0))
            dup_items = db.execute(select(Response.presentation_id, Response.item_id)
                                   .group_by(Response.presentation_id, Response.item_id)
                                   .having(func.count() > 1)).all()
            dup_units = db.execute(select(Presentation.attempt_id, Presentation.unit_id)
                                   .where(Presentation.section_index >= 0)
                                   .group_by(Presentation.attempt_id, Presentation.unit_id)
                                   .having(func.count() > 1)).all()
            out.append(("duplicated answers / units", f"{len(dup_items)} / {len(dup_units)}",
                        not dup_items and not dup_units))
        out.append(("heartbeats naming another item than the page", str(len(run.mismatches)),
                    not run.mismatches))
        # Remaining time across outages: consecutive heartbeats on the same item.
        errors: list[float] = []
        spanning = 0
        credited = [(a, b) for kind, a, b in windows if kind in ("kill", "postgres")]
        for rows in run.observations.values():
            for (a1, p1, r1, b1), (a2, p2, r2, b2) in zip(rows, rows[1:], strict=False):
                if p1 != p2:
                    continue
                # The server read its clock somewhere between sending and receiving each
                # heartbeat: the time that passed lies in [a2 - b1, b2 - a1].
                lost_time = sum(b - a for a, b in credited if b1 <= a and b <= a2)
                if lost_time:
                    spanning += 1
                went_down = r1 + lost_time - r2
                low, high = a2 - b1, b2 - a1
                errors.append(max(0.0, low - went_down, went_down - high))
        worst = max(errors, default=0.0)
        # remaining_seconds is whole seconds (floored): up to 1 s of the error is rounding
        out.append(("remaining time off by more than 2 s (pairs across an outage: "
                    f"{spanning} of {len(errors)})",
                    f"{sum(1 for e in errors if e > 2.0 + 1.0)}; worst {worst:.1f} s, "
                    f"p99 {percentile(errors, 99):.1f} s", all(e <= 3.0 for e in errors)))
        amcheck = subprocess.run(
            [*pg._as_user, postgres_tool("pg_amcheck"), "--install-missing", "--heapallindexed", "-h",
             "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-d", "toetsbatterij_load"],
            capture_output=True, text=True)
        out.append(("pg_amcheck (heap, every index)",
                    "ok" if amcheck.returncode == 0
                    else (amcheck.stdout[-300:] + amcheck.stderr[-300:]).replace("\n", " "),
                    amcheck.returncode == 0))
        # The sweep, at a moment after the session's end: the candidates who left.
        later = FrozenClock(dt.datetime.now(dt.UTC) + dt.timedelta(hours=7))
        with platform.unit_of_work() as db:
            before = {a: sorted((r.presentation_id, r.item_id, str(r.raw)) for r in db.scalars(
                select(Response).join(Attempt, Attempt.id == Response.attempt_id)
                .join(CandidateRow, CandidateRow.id == Attempt.candidate_id)
                .where(CandidateRow.access_code == a))) for a in run.abandon}
            swept = attempts.sweep(db, later, platform.forms,
                                   grace_seconds=int(platform.config["SUBMIT_GRACE_SECONDS"]))
        with platform.unit_of_work() as db:
            states = []
            kept = True
            for access in run.abandon:
                att = db.scalar(select(Attempt).join(CandidateRow,
                                                     CandidateRow.id == Attempt.candidate_id)
                                .where(CandidateRow.access_code == access))
                states.append(att.state if att else "none")
                after = sorted((r.presentation_id, r.item_id, str(r.raw)) for r in db.scalars(
                    select(Response).where(Response.attempt_id == att.id))) if att else []
                kept = kept and after == before[access] and bool(after)
        out.append((f"sweep: the {len(run.abandon)} who never came back ended, answers kept",
                    f"{swept}; states {sorted(set(states))}; answers kept: {kept}",
                    kept and set(states) == {"ended"}))
    finally:
        platform.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser, 200)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--kill-every", type=float, default=15.0,
                        help="mean seconds between two kills")
    parser.add_argument("--abandon", type=int, default=5,
                        help="candidates who leave mid-section and never come back")
    parser.set_defaults(think_seconds=3.0, ramp_seconds=30.0)
    args = parser.parse_args()
    host = machine()
    tmp = Path(tempfile.mkdtemp(prefix="tb-chaos-"))
    pg = PrivatePostgres(tmp)
    print("initdb + pg_ctl start (a private cluster) ...", file=sys.stderr)
    pg.init()
    args.database_url = pg.url
    args.redis_url, args.no_redis = None, False
    env, redis, url = setup(args, tmp)
    from toetsbatterij.config import DEFAULTS

    if args.poll_seconds is None:
        args.poll_seconds = float(DEFAULTS["LIVE_POLL_SECONDS"])
    rooms = seed(env, args.candidates, sessions_of=args.room_size)
    flat = [a for _, codes in rooms for a in codes]
    rng = random.Random(20261204)
    abandon = set(rng.sample(flat, min(args.abandon, len(flat))))
    server = Gunicorn(env, args.workers or 2 * (os.cpu_count() or 1), args.threads,
                      tmp / "gunicorn.log")
    server.start()
    cpu = CpuSampler({"app": lambda: ([server.proc.pid] if server.proc else [])
                      + server.worker_pids(),
                      "PostgreSQL": postgres_backends("toetsbatterij_load"),
                      "Redis": lambda: [redis.pid] if redis and redis.pid else [],
                      "load generator": lambda: [os.getpid()]})
    run = ChaosRun(server.base, rooms, think_seconds=args.think_seconds,
                   ramp_seconds=args.ramp_seconds, poll_seconds=args.poll_seconds,
                   give_up_seconds=300, abandon=abandon)
    windows: list[tuple[str, float, float]] = []

    async def everything() -> tuple[float, dict[str, int]]:
        done = asyncio.Event()
        blows = asyncio.create_task(chaos(run, server, redis, pg, args.kills, args.kill_every,
                                          rng, windows, done))
        wall = await run.run()
        done.set()
        counts = await blows  # the run may end first: the remaining blows still land
        return wall, counts

    print(f"running against {server.base} with chaos ...", file=sys.stderr)
    cpu.start()
    try:
        wall, counts = asyncio.run(everything())
    finally:
        cpu.stop()
    load_end = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    abandoned = sum(1 for e in run.stats.errors if "Abandoned" in e)
    real_errors = [e for e in run.stats.errors if "Abandoned" not in e]
    try:
        results = check(run, env, windows, pg)
    finally:
        server.stop()
        redis.stop()
        pg.stop()
    subs = [s for _, s in run.stats.submit]
    print("# Chaos test: kill -9, Redis and PostgreSQL restarts under load\n")
    print("| machine | |\n|---|---|")
    for key, value in host:
        print(f"| {key} | {value} |")
    print(f"| load average at end (1, 5, 15 min) | {load_end} |")
    print(f"| run | {args.candidates} candidates, think {args.think_seconds:g} s, "
          f"{server.workers} workers x {server.threads} threads, private PostgreSQL and Redis |")
    print(f"| blows | {counts['kills']} kills of every worker (SIGKILL), "
          f"{counts['redis_restarts']} Redis restart, {counts['postgres_restarts']} PostgreSQL "
          "restart (immediate stop) |")
    outages = [b - a for kind, a, b in windows if kind != "redis"]
    print(f"| outages measured | {len(outages)}, {min(outages, default=0):.1f} - "
          f"{max(outages, default=0):.1f} s |")
    print(f"| finished | {run.stats.finished} of {args.candidates - abandoned} who stayed; "
          f"{abandoned} left for good |")
    print(f"| submit -> next | p50 {percentile(subs, 50) * 1000:.0f} ms, p95 "
          f"{percentile(subs, 95) * 1000:.0f} ms, p99 {percentile(subs, 99) * 1000:.0f} ms; "
          f"{len(subs)} answers, {run.stats.retries} retries, {len(real_errors)} errors |")
    print(f"| what candidates did again | {run.stats.replays} audio plays after a cut "
          f"playback, {run.stats.relogins} login pages reloaded |")
    print("| CPU (s) | " + ", ".join(f"{k} {v:.0f}" for k, v in cpu.used.items()) + " |")
    print("\n| check | figure | |\n|---|---|---|")
    for what, figure, passed in results:
        print(f"| {what} | {figure} | {'PASS' if passed else 'FAIL'} |")
    for line in real_errors[:15]:
        print("  " + line)
    return 0 if all(p for _, _, p in results) and not real_errors else 1


if __name__ == "__main__":
    sys.exit(main())
