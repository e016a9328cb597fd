"""``python -m toetsbatterij.items check|stats|export|import ...``"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m toetsbatterij.items",
                                     description="Item bank tools: check, stats, QTI export/import.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("check", help="validate the whole bank; exit 1 when there is a problem")
    p.add_argument("bank")
    p = sub.add_parser("stats", help="counts per skill x level x task type, audio minutes")
    p.add_argument("bank")
    p = sub.add_parser("key-patterns", help="key position, longest and most hedged key per level "
                       "and type; exit 1 above the 40 % bar")
    p.add_argument("bank")
    p.add_argument("-v", "--verbose", action="store_true", help="list the items behind each share")

    p = sub.add_parser("waive-synthetic", help="waive the synthetic listening audio of a "
                       "high-stakes form (a reviewer's decision, with a reason)")
    p.add_argument("bank")
    p.add_argument("test")
    p.add_argument("--reviewer", required=True)
    p.add_argument("--reason", required=True)
    p.add_argument("--units", nargs="*", help="testlet or item ids (default: every synthetic "
                   "stimulus of the form without a waiver)")
    p = sub.add_parser("bench", help="time loading, checking, scoring and QTI exchange")
    p.add_argument("bank")
    p.add_argument("--repeat", type=int, default=5)
    p = sub.add_parser("export-qti", help="export the bank (or some items) as a QTI 3.0 package")
    p.add_argument("bank")
    p.add_argument("output")
    p.add_argument("--ids", nargs="*", help="item or testlet ids (default: all)")
    p = sub.add_parser("import-qti", help="read a QTI 3.0 package and write item files")
    p.add_argument("package")
    p.add_argument("output")
    p.add_argument("--default", action="append", default=[], metavar="FIELD=VALUE",
                   help="metadata for items without ours, e.g. --default skill=reading --default level=A2")
    args = parser.parse_args(argv)

    if args.command == "check":
        from .check import check_bank

        report = check_bank(args.bank)
        for problem in sorted(report.problems):
            print(problem)
        n = len(report.bank.items)
        if report.problems:
            print(f"bank check: {len(report.problems)} problem(s) in {n} items "
                  f"({report.seconds:.2f} s)", file=sys.stderr)
            return 1
        print(f"bank check: OK, {n} items, {len(report.bank.testlets)} testlets, "
              f"{len(report.bank.rubrics)} rubrics, {len(report.bank.tests)} manifests, "
              f"{report.audio_seconds / 60:.1f} audio minutes ({report.seconds:.2f} s)")
        from .voice_check import voice_reports

        for voices in voice_reports(report.bank):
            print(voices.line())
        for test_id, version in sorted(report.forms.items()):
            print(f"form {test_id} {version}")
        return 0
    if args.command == "stats":
        from .bank import load_bank
        from .check import check_assets, stats_table

        bank = load_bank(args.bank, strict=False)
        _, audio = check_assets(bank)
        print(stats_table(bank, audio))
        if bank.problems:
            print(f"({len(bank.problems)} problem(s): run check)", file=sys.stderr)
        return 0
    if args.command == "key-patterns":
        from .bank import load_bank
        from .keypatterns import key_pattern_problems, key_pattern_table, key_patterns

        bank = load_bank(args.bank, strict=False)
        groups = key_patterns(bank.items.values(), bank.vocabulary.levels)
        print(key_pattern_table(groups, verbose=args.verbose))
        failures = key_pattern_problems(groups)
        for failure in failures:
            print(failure, file=sys.stderr)
        return 1 if failures else 0

    if args.command == "waive-synthetic":
        import datetime as dt

        from .bank import load_bank
        from .voice_check import add_waivers

        try:
            done = add_waivers(load_bank(args.bank, strict=False), args.test,
                               reviewer=args.reviewer, reason=args.reason,
                               date=dt.date.today(), units=args.units)
        except ValueError as exc:
            print(f"waive-synthetic: {exc}", file=sys.stderr)
            return 1
        print(f"waived {len(done)} synthetic stimuli of {args.test}: {', '.join(done) or '-'}")
        return 0
    if args.command == "bench":
        from .bench import main as bench_main

        bench_main(args.bank, args.repeat)
        return 0
    if args.command == "export-qti":
        from .bank import load_bank
        from .qti import export_package

        bank = load_bank(args.bank)
        n = export_package(bank, args.output, ids=args.ids or None)
        print(f"exported {n} items to {args.output}")
        return 0
    if args.command == "import-qti":
        from .errors import ItemValidationError
        from .qti import import_package, write_documents

        defaults = dict(d.split("=", 1) for d in args.default if "=" in d)
        try:
            result = import_package(args.package, defaults=defaults)
            n = write_documents(result, args.output)
        except ItemValidationError as exc:
            for problem in exc.problems:
                print(problem)
            print(f"import refused: {len(exc.problems)} problem(s)", file=sys.stderr)
            return 1
        print(f"imported {n} files into {args.output}")
        if result.bank_version and "vocabulary.yaml" in result.bank_files and any(
                k.startswith("tests/") for k in result.bank_files):
            from .bank import load_bank

            version = load_bank(args.output, strict=False).version
            same = "identical to" if version == result.bank_version else "DIFFERENT from"
            print(f"bank version {version} ({same} the exported {result.bank_version})")
            if version != result.bank_version:
                return 1
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
