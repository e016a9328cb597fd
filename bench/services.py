"""The servers a load or chaos run starts for itself: gunicorn with the production
configuration, a private redis-server, a private PostgreSQL cluster (initdb/pg_ctl in a temp
folder), and a sampler of the CPU each of them uses (psutil)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come up within {seconds:g} s")


class PrivateRedis:
    """A redis-server of this run only (never the system one): no persistence, so a restart
    is an empty Redis, the hardest case for "everything in Redis can be rebuilt"."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.proc = subprocess.Popen(
            [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        wait_until(lambda: redis.Redis(port=self.port).ping(), 20, "redis-server")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None


class PrivatePostgres:
    """A PostgreSQL cluster of this run only, in a temp folder (initdb, pg_ctl), owned by the
    ``postgres`` system user when run as root (initdb refuses root)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / "pgdata"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/toetsbatterij_load"
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            self._as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as_user, *args], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)

    def init(self) -> None:
        self.folder.mkdir(parents=True)
        if self._as_user:
            shutil.chown(self.folder, "postgres", "postgres")
            shutil.chown(self.folder.parent, "postgres", "postgres")
        self._run(postgres_tool("initdb"), "-D", str(self.folder), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--no-sync")
        with (self.folder / "postgresql.conf").open("a") as conf:
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                       "unix_socket_directories = ''\nmax_connections = 300\n"
                       "shared_buffers = 128MB\nfsync = on\nsynchronous_commit = on\n")
        self.start()
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute("CREATE DATABASE toetsbatterij_load")

    def start(self) -> None:
        self._run(postgres_tool("pg_ctl"), "-D", str(self.folder), "-l", str(self.folder / "log.txt"),
                  "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(postgres_tool("pg_ctl"), "-D", str(self.folder), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self) -> None:
        self.stop("immediate")  # like a crash: no checkpoint, recovery from the WAL at start
        self.start()

    def postmaster_pid(self) -> int | None:
        pidfile = self.folder / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError):
            return int(pidfile.read_text().split()[0])
        return None


def postgres_tool(name: str) -> str:
    """A PostgreSQL program: on the PATH, else from the Debian package's folder."""
    import glob

    found = shutil.which(name) or next(iter(sorted(glob.glob(
        f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        raise RuntimeError(f"{name} not found (apt-get install postgresql)")
    return found


def ensure_database(url: str) -> None:
    """Create the benchmark database on a PostgreSQL server when it does not exist."""
    if not url.startswith("postgresql"):
        return
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from toetsbatterij.db import make_engine

    parsed = make_url(url)
    engine = make_engine(parsed.set(database="postgres").render_as_string(hide_password=False),
                         isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                       {"n": parsed.database}) is None:
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    engine.dispose()


class Gunicorn:
    """The app under test: ``gunicorn -c deploy/gunicorn.conf.py`` on a free port."""

    def __init__(self, env: dict[str, str], workers: int, threads: int, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "TOETSBATTERIJ_BIND": f"127.0.0.1:{self.port}",
                    "TOETSBATTERIJ_WORKERS": str(workers), "TOETSBATTERIJ_THREADS": str(threads)}
        self.workers, self.threads = workers, threads
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_file: Any = None

    def start(self) -> None:
        if self._log_file is None:
            self._log_file = self.log.open("ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py")],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=self._log_file)
        wait_until(lambda: urllib.request.urlopen(  # noqa: S310 - our own local server
            self.base + "/gezondheid", timeout=2).status == 200, 120, "gunicorn")
        wait_until(lambda: len(self.worker_pids()) >= self.workers, 60, "gunicorn workers")

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        try:
            return [p.pid for p in psutil.Process(self.proc.pid).children()]
        except psutil.NoSuchProcess:
            return []

    def kill_workers(self) -> list[int]:
        """SIGKILL every worker at once (the master forks new ones)."""
        pids = self.worker_pids()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return pids

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


class CpuSampler:
    """CPU seconds (user + system) per group of processes over a run, sampled every second:
    the app (gunicorn master and workers), PostgreSQL (the backends serving the benchmark
    database), Redis, the load generator (this process), and the whole machine."""

    def __init__(self, groups: dict[str, Any]) -> None:
        # group name -> callable returning the pids of the group now
        self.groups = groups
        self.used: dict[str, float] = {name: 0.0 for name in groups}
        self._last: dict[int, tuple[str, float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self.machine_busy = 0.0
        self.machine_total = 0.0

    def _sample(self, first: bool = False) -> None:
        for name, pids_of in self.groups.items():
            for pid in pids_of():
                try:
                    t = psutil.Process(pid).cpu_times()
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                now = t.user + t.system
                prev = self._last.get(pid)
                if prev is None:
                    self._last[pid] = (name, now)
                    if not first:  # a process born during the run: all of its CPU counts
                        self.used[name] += now
                    continue
                self.used[name] += max(0.0, now - prev[1])
                self._last[pid] = (name, now)

    def _loop(self) -> None:
        while not self._stop.wait(1.0):
            self._sample()

    def start(self) -> None:
        self._t0 = psutil.cpu_times()
        self._sample(first=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        t1 = psutil.cpu_times()
        busy = lambda t: t.user + t.system + t.nice + getattr(t, "irq", 0) + getattr(  # noqa: E731
            t, "softirq", 0) + getattr(t, "steal", 0)
        self.machine_busy = busy(t1) - busy(self._t0)
        self.machine_total = sum(t1) - sum(self._t0)


def postgres_backends(database: str) -> Any:
    """The pids of the PostgreSQL backends connected to ``database`` (their process title
    names it: "postgres: <user> <database> <client> ...")."""
    def pids() -> list[int]:
        out = []
        for proc in psutil.process_iter(["cmdline"]):
            cmd = " ".join(proc.info.get("cmdline") or [])
            if cmd.startswith("postgres: ") and f" {database} " in cmd + " ":
                out.append(proc.pid)
        return out
    return pids
