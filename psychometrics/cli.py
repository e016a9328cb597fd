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


class _DutchHelp(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        # argparse passes prefix "" when it builds a subcommand's prog: keep that
        return super().add_usage(usage, actions, groups, prefix="gebruik: " if prefix is None else prefix)


# argparse's own messages are English; staff read these, so the common ones are translated
_ARGPARSE_NL = (
    ("the following arguments are required:", "deze argumenten ontbreken:"),
    ("unrecognized arguments:", "onbekende argumenten:"),
    ("invalid choice:", "ongeldige keuze:"),
    ("choose from", "kies uit"),
    ("expected one argument", "verwacht één waarde"),
    ("invalid int value:", "geen geheel getal:"),
    ("invalid float value:", "geen getal:"),
    ("argument ", "argument "),
)


class DutchArgumentParser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _DutchHelp)
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self._positionals.title = "argumenten"
        self._optionals.title = "opties"
        self.add_argument("-h", "--help", action="help", help="toon deze hulp en stop")

    def error(self, message):
        for en, nl in _ARGPARSE_NL:
            message = message.replace(en, nl)
        self.print_usage(sys.stderr)
        self.exit(EXIT_INPUT, f"{self.prog}: fout: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from . import commands  # noqa: F401  - registers the subcommands

    parser = DutchArgumentParser(
        prog="python -m psychometrics",
        description="Offline psychometrie voor de toetsbatterij: kalibreren, scoren, simuleren, "
                    "linken, DIF, fit, rapporteren, exporteren en parameters publiceren.")
    sub = parser.add_subparsers(dest="command", metavar="COMMANDO", required=True, title="commando's",
                                parser_class=DutchArgumentParser)
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

