"""Command-line use-cases (no flask): migrate the database, sync test definitions from the bank,
seed the demo agency, freeze and recompute results. ``python -m toetsbatterij.cli --help``.

Every command builds the same :class:`~toetsbatterij.platform.Platform` as the web app, from the
same configuration (defaults -> instance file -> ``TOETSBATTERIJ_*`` environment), so it opens
the same database and bank; ``--database-url`` and ``--itembank`` override that configuration
for one run. Each command is one unit of work: it commits once at the end.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select

from toetsbatterij.db import upgrade
from toetsbatterij.platform import Platform


def platform_from_args(database_url: str | None = None, itembank: str | None = None) -> Platform:
    """The platform of the configuration, with the command line's overrides."""
    overrides: dict[str, Any] = {}
    if database_url:
        overrides["DATABASE_URL"] = database_url
    if itembank:
        overrides["ITEMBANK_PATH"] = itembank
    return Platform.from_config(overrides, require_secret=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m toetsbatterij.cli")
    parser.add_argument("--database-url", default=None,
                        help="override the configured database (TOETSBATTERIJ_DATABASE_URL)")
    parser.add_argument("--itembank", default=None,
                        help="override the configured item bank (TOETSBATTERIJ_ITEMBANK_PATH)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="bring the database schema to the newest migration")
    sub.add_parser("sync-definitions", help="store the bank's test manifests as definitions")
    demo = sub.add_parser("seed-demo", help="demo agency, staff, an open session, tickets")
    demo.add_argument("--out", default="instance")
    tune = sub.add_parser("tune-exposure", help="tune Sympson-Hetter K values by simulation "
                          "and write them to <itembank>/exposure/<test>.yaml")
    tune.add_argument("--test", required=True, help="test id (itembank/tests/<id>.yaml)")
    tune.add_argument("--r-max", type=float, default=None,
                      help="exposure ceiling; must equal the manifest's r_max (default: it)")
    tune.add_argument("--simulees", type=int, default=1000)
    tune.add_argument("--iterations", type=int, default=10)
    tune.add_argument("--seed", type=int, default=0)
    report = sub.add_parser("exposure-report",
                            help="observed exposure per item of a test, from the presentations")
    report.add_argument("--test", required=True)
    report.add_argument("--top", type=int, default=10)
    sub.add_parser("where", help="print the database and item bank this configuration opens")
    sub.add_parser("audit-verify", help="verify the hash chain of the audit log; names every "
                   "changed, removed or inserted entry (exit status 1 when the chain is broken)")
    sub.add_parser("erase-expired", help="remove personal data past its retention "
                   "(RETENTION_DAYS per data kind; docs/privacy.md)")
    sub.add_parser("sweep-attempts", help="close sections whose time ran out and attempts whose "
                   "session ended while nobody came back (every answer kept)")
    sub.add_parser("freeze-results", help="freeze the result of every finished attempt whose "
                   "writing and speaking productions are resolved")
    recompute = sub.add_parser("recompute-results", help="recompute results from the stored "
                               "responses, ratings and pinned forms; exit status 1 on any "
                               "difference")
    recompute.add_argument("--result", type=int, action="append", default=None,
                           help="a result id (repeatable; default: every current result)")
    sub.add_parser("pull-ratings", help="queue the writing and speaking responses of closed "
                   "sections for rating (blank ones are resolved at once); raters' requests "
                   "do the same, this command keeps the queue current between them")
    sub.add_parser("deliver-partner-webhooks", help="queue the events partners subscribed to "
                   "(attest issued or revoked, for persons shared with them) and deliver what is "
                   "due, signed, with back-off (run every minute or so)")
    sub.add_parser("signing-key", help="print the key id of the attest signing key (a key is "
                   "generated in the instance folder on first use)")
    sub.add_parser("rotate-signing-key", help="generate a new attest signing key in the instance "
                   "folder; earlier keys stay published (restart the app afterwards)")
    args = parser.parse_args(argv)
    platform = platform_from_args(args.database_url, args.itembank)
    try:
        return _run(args, platform)
    finally:
        platform.close()


def _run(args: argparse.Namespace, platform: Platform) -> int:
    if args.command == "where":
        print(f"database {platform.database_url}")
        print(f"itembank {platform.itembank_path}")
        print(f"instance {platform.instance_path}")
    elif args.command == "migrate":
        upgrade(platform.database_url)
        print("database up to date")
    elif args.command == "sync-definitions":
        upgrade(platform.database_url)
        with platform.unit_of_work() as db:
            rows = platform.sync_definitions(db)
            for row in rows:
                print(f"{row.code} {row.version} ({row.name})")
    elif args.command == "seed-demo":
        from toetsbatterij.demo.seed import seed_demo

        result = seed_demo(platform, Path(args.out))
        print(f"\nToets: {result['definition']}")
        print("Personeel (aanmelden op http://127.0.0.1:5000/beheer/aanmelden):")
        for role, (email, password) in result["logins"].items():
            print(f"  {role:16s} {email:45s} wachtwoord: {password}")
        print(f"\nSessie {result['session_code']} is geopend. Kandidaten (http://127.0.0.1:5000/):")
        for first, last, code in result["candidates"]:
            print(f"  {first} {last:20s} sessiecode {result['session_code']}  toegangscode {code}")
        print(f"\nTickets (PDF): {Path(result['tickets']).resolve()}")
        first, last, _ = result["finished"]
        print(f"{first} {last} heeft de hele toets al afgelegd (een gesimuleerde kandidaat); "
              f"haar schrijf- en spreekopdrachten zijn dubbel beoordeeld (één keer met een derde "
              f"beoordeling door de senior), het resultaat is vastgelegd en vrijgegeven: "
              f"http://127.0.0.1:5000/beheer/resultaten/{result['result']}")
        print(f"Haar attest is uitgereikt (PDF, Verifiable Credential en jwks.json in "
              f"{Path(args.out).resolve()}); controleren: {result['attest_url']}")
        print(f"Haar inburgeringstraject: "
              f"http://127.0.0.1:5000/beheer/trajecten/{result['trajectory']}"
              + (f"; haar inburgeringsattest is uitgereikt, controleren: "
                 f"{result['certificate_url']}" if result["certificate_url"] else
                 " (de pagina toont wat nog ontbreekt voor het inburgeringsattest)"))
        complaint_id, reference = result["complaint"]
        print(f"Zij diende klacht {reference} in over haar schrijven (open, met de termijnen): "
              f"http://127.0.0.1:5000/beheer/klachten/{complaint_id}")
        first, last, _ = result["to_rate"]
        print(f"{first} {last} is ook klaar; zijn producties wachten op de beoordelaars "
              f"(aanmelden als rater en rater-2).")
        if result.get("intake"):
            print(f"Samira Amrani legde de plaatsingstoets af (sessie "
                  f"{result['intake']['session_code']}); intake en doorverwijzing: "
                  f"http://127.0.0.1:5000/beheer/intake/{result['intake']['person_id']}")
        print("Monitoring en tevredenheid: http://127.0.0.1:5000/beheer/monitoring/")
        partner = result["partner"]
        print(f"\nPartner-API: {partner['name']} leest {', '.join(partner['scopes'])} van "
              f"{result['finished'][0]} (gedeeld). Token (één keer getoond): {partner['token']}")
        print(f"  curl -H 'Authorization: Bearer {partner['token']}' "
              f"http://127.0.0.1:5000/api/partner/v1/persons/{partner['person_ref']}")
        print(f"  Partners en leeslogboek: http://127.0.0.1:5000/beheer/partners/"
              f"{partner['partner_id']}")
        if result.get("studio"):
            print(f"Opnamestudio (aanmelden als psychometrician): {result['studio']} heeft al "
                  f"sprekers en een eerste beurt: http://127.0.0.1:5000/beheer/studio/opnemen"
                  f"?stimulus={result['studio']}")
    elif args.command == "tune-exposure":
        return tune_exposure(platform.itembank_path, args.test, r_max=args.r_max,
                             n_simulees=args.simulees, iterations=args.iterations, seed=args.seed)
    elif args.command == "exposure-report":
        return exposure_report(platform, args.test, top=args.top)
    elif args.command == "audit-verify":
        return audit_verify(platform)
    elif args.command == "deliver-partner-webhooks":
        return deliver_partner_webhooks(platform)
    elif args.command == "erase-expired":
        return erase_expired(platform)
    elif args.command == "sweep-attempts":
        return sweep_attempts(platform)
    elif args.command == "freeze-results":
        return freeze_results(platform)
    elif args.command == "recompute-results":
        return recompute_results(platform, args.result)
    elif args.command == "pull-ratings":
        return pull_ratings(platform)
    elif args.command in ("signing-key", "rotate-signing-key"):
        return signing_key(platform, rotate=args.command == "rotate-signing-key")
    return 0


def sweep_attempts(platform: Platform) -> int:
    from toetsbatterij.delivery import attempts, outages

    with platform.unit_of_work() as db:
        done = attempts.sweep(db, platform.clock, platform.forms,
                              grace_seconds=int(platform.config["SUBMIT_GRACE_SECONDS"]),
                              policy=outages.OutagePolicy.from_config(platform.config))
        platform.freeze_ready(db)
    print(f"Onderdelen afgesloten: {done['sections_closed']}; afnames beëindigd: "
          f"{done['attempts_ended']}")
    return 0


def freeze_results(platform: Platform) -> int:
    """Freeze every finished attempt without a result whose productions are resolved; the
    others wait for their raters (one unit of work)."""
    rules = platform.scoring_rules
    with platform.unit_of_work() as db:
        from toetsbatterij.results import service

        waiting = len(service.attempts_to_freeze(db))
        frozen = len(platform.freeze_ready(db))
    print(f"Resultaten vastgelegd: {frozen}; wachten op beoordeling: {waiting - frozen} "
          f"(regels {rules.version[:16]}, fair scores {'aan' if rules.fair_scores else 'uit'})")
    return 0


def recompute_results(platform: Platform, result_ids: list[int] | None = None,
                      resolutions_of: Any = None) -> int:
    """Recompute results and print every difference; 1 when there is one (reads only)."""
    from toetsbatterij.errors import NotFound
    from toetsbatterij.results import service
    from toetsbatterij.results.models import Result

    resolutions_of = resolutions_of or platform.resolutions_of
    with platform.unit_of_work() as db:
        if result_ids:
            count = len(set(result_ids))
        else:
            count = len(db.scalars(select(Result.id).where(
                Result.superseded_by_id.is_(None))).all())
        try:
            diffs = service.recompute(db, platform.forms, resolutions_of, result_ids)
        except NotFound as exc:
            print(f"Onbekend resultaat: {exc.detail}")
            return 2
        db.rollback()  # nothing to write
    for d in diffs:
        print(f"VERSCHIL resultaat {d.result_id} (afname {d.attempt_id}) {d.field}: "
              f"opgeslagen {d.stored!r}, herberekend {d.recomputed!r}")
    differing = len({d.result_id for d in diffs})
    print(f"Herberekend: {count} resultaten, {differing} met verschillen "
          f"({len(diffs)} velden).")
    return 1 if diffs else 0


def signing_key(platform: Platform, *, rotate: bool) -> int:
    """Show (and register) the signing key, or rotate the generated one."""
    from toetsbatterij.attests import keys

    upgrade(platform.database_url)
    with platform.unit_of_work() as db:
        if rotate:
            if platform.config.get("SIGNING_KEY") or platform.config.get("SIGNING_KEY_FILE"):
                print("the signing key is configured (SIGNING_KEY / SIGNING_KEY_FILE): rotate it "
                      "by configuring the new key; the old one stays published once it signed")
                keys.register(db, platform.clock, platform.signer)
                return 1
            signer = keys.rotate(db, platform.clock, platform.instance_path,
                                 old=platform.signer)
            platform.set_signer(signer)
        else:
            keys.register(db, platform.clock, platform.signer)
        print(f"key id {platform.signer.kid} ({platform.signer.source})")
        for kid in sorted(keys.known_keys(db, platform.signer)):
            print(f"  published {kid}")
    return 0


def erase_expired(platform: Platform) -> int:
    """The erasure job: one unit of work, then (SQLite) the file is rebuilt so that erased
    values do not linger in free pages or the write-ahead log."""
    from sqlalchemy import text

    from toetsbatterij.privacy.retention import RetentionPolicy
    from toetsbatterij.privacy.retention import erase_expired as erase
    from toetsbatterij.productions.retention import recordings_eraser
    from toetsbatterij.productions.storage import storage_for

    policy = RetentionPolicy.from_config(platform.config)
    storage = storage_for(platform.config, platform.instance_path)
    extra = {"recordings": [recordings_eraser(storage)]}
    with platform.unit_of_work() as db:
        report = erase(db, platform.clock, policy, extra)
    if platform.engine.dialect.name == "sqlite":
        with platform.engine.connect() as conn:
            conn.execute(text("VACUUM"))
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    for kind, count in report.counts.items():
        print(f"{kind:16s} {count:6d} (bewaartermijn {policy.days[kind]} dagen)")
    return 0


def pull_ratings(platform: Platform) -> int:
    from toetsbatterij.rating.service import RatingPolicy, pull_tasks

    policy = RatingPolicy.from_config(platform.config)
    with platform.unit_of_work() as db:
        created = pull_tasks(db, platform.clock, platform.forms, policy)
        # Blank productions are resolved by the pull: an attempt may be complete now.
        frozen = platform.freeze_ready(db)
    print(f"{created} nieuwe productie(s) in de wachtrij van de beoordelaars; "
          f"{len(frozen)} resultaat/resultaten vastgelegd")
    return 0


def deliver_partner_webhooks(platform: Platform) -> int:
    from toetsbatterij.partners import webhooks

    with platform.unit_of_work() as db:
        report = webhooks.sweep(db, platform.clock, webhooks.http_send)
    print(f"Webhooks: {report.queued} nieuw in de wachtrij, {report.delivered} afgeleverd, "
          f"{report.failed} mislukt (later opnieuw), {report.gave_up} opgegeven")
    return 0


def audit_verify(platform: Platform) -> int:
    from toetsbatterij.audit import chain

    with platform.unit_of_work() as db:
        result = chain.verify(db)
    for problem in result.problems:
        print(f"FOUT {problem}")
    if not result.ok:
        print(f"Logboek: de keten is gebroken ({len(result.problems)} fout(en) in "
              f"{result.entries} regels).")
        return 1
    print(f"Logboek: {result.entries} regels, keten in orde. Kop: seq {result.head_seq}, "
          f"hash {result.head_hash}")
    return 0


def tune_exposure(bank_path: Path, test_id: str, *, r_max: float | None, n_simulees: int,
                  iterations: int, seed: int) -> int:
    from toetsbatterij.delivery import exposure
    from toetsbatterij.delivery.definitions import directory_version
    from toetsbatterij.items import load_bank

    bank = load_bank(bank_path)
    manifest = bank.tests.get(test_id)
    if manifest is None:
        raise SystemExit(f"Geen toets {test_id!r} in {bank_path}/tests.")
    try:
        results = exposure.tune_test(bank, dict(manifest.data), r_max=r_max,
                                     n_simulees=n_simulees, iterations=iterations, seed=seed)
    except exposure.ExposureFileError as exc:
        raise SystemExit(str(exc)) from None
    if not results:
        raise SystemExit(f"{test_id}: geen onderdeel met sympson_hetter-blootstellingscontrole.")
    path = exposure.write_k_values(bank_path, test_id, results, n_simulees=n_simulees,
                                   iterations=iterations, seed=seed,
                                   bank_version=directory_version(bank_path))
    for r in results:
        print(f"{r.skill}: r_max {r.r_max}, {len(r.k)} van {r.n_items} items K < 1, "
              f"max. blootstelling per ronde {[round(h, 3) for h in r.history]}, "
              f"controle {r.final_exposure_max:.3f}")
    print(f"geschreven: {path}")
    return 0


def exposure_report(platform: Platform, test_id: str, *, top: int) -> int:
    from toetsbatterij.delivery import exposure
    from toetsbatterij.delivery.models import TestDefinitionRecord

    with platform.unit_of_work() as db:
        rows = list(db.scalars(select(TestDefinitionRecord)
                               .where(TestDefinitionRecord.code == test_id)
                               .order_by(TestDefinitionRecord.id)))
        if not rows:
            raise SystemExit(f"Geen toetsdefinitie {test_id!r} in de databank.")
        for row in rows:
            counts = exposure.exposure_counts(db, row.id)
            print(f"{row.code} versie {row.version} (bank {row.bank_version}):")
            for index, n in sorted(counts.attempts_per_section.items()):
                skill = row.manifest["sections"][index]["skill"]
                ranked = sorted((i for i, s in counts.section_of_item.items() if s == index),
                                key=lambda i: -counts.items[i])[:top]
                print(f"  {skill}: {n} afnames, max. blootstelling {counts.max_rate(index):.3f}")
                for item_id in ranked:
                    print(f"    {item_id:16s} {counts.items[item_id]:6d}  "
                          f"{counts.rate(item_id):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
