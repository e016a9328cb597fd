"""Files of an attest: the PDF, the credential (vc+jwt) and the public keys (JWKS); and the one
call the demo seed makes (``issue_demo_attest``)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.orm import Session

from toetsbatterij.attests import keys, rulesets, service
from toetsbatterij.attests.models import Attest
from toetsbatterij.attests.pdf import render_attest, verification_url
from toetsbatterij.attests.rules import RuleSet
from toetsbatterij.clock import Clock
from toetsbatterij.errors import Conflict
from toetsbatterij.i18n import N_

ERASED_PDF = N_("De persoonsgegevens van dit attest zijn gewist: de PDF kan niet meer gemaakt "
                "worden. Het attest blijft controleerbaar met zijn nummer.")


def kind_labels(db: Session, attest: Attest) -> dict[str, str]:
    from toetsbatterij.attests.models import AttestRuleSet

    row = db.get(AttestRuleSet, attest.rule_set_id)
    rules = RuleSet.parse(row.document) if row else None
    return {k.code: k.label for k in rules.kinds} if rules else {}


def attest_pdf(db: Session, attest: Attest, *, base_url: str,
               tz: str = rulesets.DEFAULT_TZ) -> bytes:
    if attest.person is None:
        raise Conflict(ERASED_PDF)
    revoked = rulesets.local_date(attest.revoked_at, tz) if attest.revoked_at else None
    return render_attest(attest.payload, attest.person,
                         verification_code=attest.verification_code,
                         base_url=base_url, kind_labels=kind_labels(db, attest),
                         revoked_on=revoked)


def verification_path(attest: Attest) -> str:
    return verification_url("", attest.number, attest.verification_code)


def write_files(db: Session, attest: Attest, out_dir: Path, *, base_url: str,
                signer: keys.Signer | None = None) -> dict[str, Path]:
    """Write ``attest-<number>.pdf``, ``attest-<number>.vc.jwt`` and ``jwks.json``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"pdf": out_dir / f"attest-{attest.number}.pdf",
             "credential": out_dir / f"attest-{attest.number}.vc.jwt",
             "jwks": out_dir / "jwks.json"}
    paths["pdf"].write_bytes(attest_pdf(db, attest, base_url=base_url))
    paths["credential"].write_text((attest.credential_jwt or "") + "\n", encoding="ascii")
    paths["jwks"].write_text(json.dumps(keys.jwks(keys.known_keys(db, signer)), indent=2) + "\n",
                             encoding="utf-8")
    return paths


def issue_demo_attest(db: Session, clock: Clock, signer: keys.Signer, *, organisation_id: int,
                      actor_id: int, result_id: int, out_dir: Path, base_url: str) -> str:
    """Issue the attest of a frozen result (as the agency admin ``actor_id``), write its files
    into ``out_dir`` and return the verification URL path (``/attest/<number>?code=<code>``).
    For the demo seed of ``scripts/run-demo``; flushes, the caller commits."""
    attest = service.issue(db, clock, signer, organisation_id=organisation_id,
                           actor_id=actor_id, result_id=result_id, base_url=base_url)
    write_files(db, attest, out_dir, base_url=base_url, signer=signer)
    return verification_path(attest)
