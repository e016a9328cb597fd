"""Export responses from the delivery database for calibration, fit and DIF:
``python -m psychometrics.platform_export --organisation antwerpen --out DIR --key-file KEY``.

The command sits here, beside the pure export it calls, and not in ``toetsbatterij.cli``:
the arrows of the house plan point from psychometrics to the platform (it may import the
platform's services), never back. ``toetsbatterij.delivery.export`` reads the database
(tenant-scoped: one organisation per run); ``psychometrics.export`` pseudonymises with the
agency's secret key and writes ``responses.csv`` (long: person,item,score + metadata) and,
separately, ``covariates.csv``. No identifying field reaches a file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from psychometrics.export import ExportError, write_covariates, write_responses


def _date(value: str) -> dt.datetime:
    try:
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), tzinfo=dt.UTC)
    except ValueError:
        raise argparse.ArgumentTypeError(f"geen datum (JJJJ-MM-DD): {value!r}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m psychometrics.platform_export",
        description="Exporteer gepseudonimiseerde antwoorden uit de afnamedatabank.")
    parser.add_argument("--database-url", default=None,
                        help="andere databank dan in de configuratie (TOETSBATTERIJ_DATABASE_URL)")
    parser.add_argument("--organisation", required=True,
                        help="code van de organisatie (bv. antwerpen); alleen haar afnames")
    parser.add_argument("--out", required=True, help="map voor responses.csv en covariates.csv")
    parser.add_argument("--key-file", required=True,
                        help="bestand met de geheime exportsleutel (minstens 16 bytes)")
    parser.add_argument("--test", default=None, help="alleen deze toets (bv. attest-4)")
    parser.add_argument("--since", type=_date, default=None, help="afnames vanaf (JJJJ-MM-DD)")
    parser.add_argument("--until", type=_date, default=None, help="afnames voor (JJJJ-MM-DD)")
    args = parser.parse_args(argv)

    from toetsbatterij.delivery import export
    from toetsbatterij.errors import NotFound
    from toetsbatterij.platform import Platform

    key_path = Path(args.key_file)
    if not key_path.is_file():
        parser.error(f"sleutelbestand {key_path} bestaat niet")
    key = key_path.read_bytes().strip()
    # The same composition root and configuration as the app: the same database.
    platform = Platform.from_config(
        {"DATABASE_URL": args.database_url} if args.database_url else None,
        require_secret=False)
    try:
        db = platform.new_session()
        try:
            org = export.organisation_by_code(db, args.organisation)
        except NotFound:
            parser.error(f"onbekende organisatie {args.organisation!r}")
        scope = {"organisation_id": org.id, "test_code": args.test, "since": args.since,
                 "until": args.until}
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        try:
            n = write_responses(out / "responses.csv", export.response_records(db, **scope), key)
            n_cov = write_covariates(out / "covariates.csv", export.person_records(db, **scope),
                                     key)
        except ExportError as exc:
            parser.error(str(exc))
    finally:
        db.rollback()  # an export reads only
        db.close()
        platform.close()
    print(json.dumps({"responses": n, "covariates": n_cov, "out": str(out)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
