"""``python -m psychometrics <command>``: one CLI for psychometricians.

Every command reads files and writes files. Malformed input ends with a Dutch
message naming the file and row, and exit status 2 — never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from contextlib import contextmanager

from .data import InputError

EXIT_INPUT = 2

_COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], str]] = {}


def command(name: str, help_text: str):
    """Register ``configure(parser)``; it must ``set_defaults(run=...)``."""

    def deco(fn):
        _COMMANDS[name] = (fn, help_text)
        return fn

    return deco


@contextmanager
def progress_bar(description: str, total: int, enabled: bool = True):
    """A rich progress bar on stderr; yields ``advance(n, completed=None)``."""
    if not enabled:
        yield lambda *a, **k: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console, transient=True,
                  disable=not console.is_terminal) as prog:
        task = prog.add_task(description, total=total)

        def advance(n: int = 1, completed: int | None = None, description: str | None = None):
            kw = {}
            if description:
                kw["description"] = description
            if completed is not None:
                prog.update(task, completed=completed, **kw)
            else:
                prog.update(task, advance=n, **kw)

        yield advance


def build_parser() -> argparse.ArgumentParser:
    from . import commands  # noqa: F401  - registers the subcommands

    parser = argparse.ArgumentParser(
        prog="python -m psychometrics",
        description="Offline psychometrie voor de toetsbatterij: kalibreren, scoren, simuleren, "
                    "linken, DIF, fit, rapporteren en parameters publiceren.")
    sub = parser.add_subparsers(dest="command", metavar="COMMANDO", required=True)
    for name, (configure, help_text) in _COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        configure(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except InputError as exc:
        print(f"fout: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except OSError as exc:
        print(f"fout: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INPUT
    except ValueError as exc:
        # values the scoring core or the item code refuse (e.g. a design that cannot work)
        print(f"fout: ongeldige invoer: {exc}", file=sys.stderr)
        return EXIT_INPUT


def print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, sort_keys=True))

