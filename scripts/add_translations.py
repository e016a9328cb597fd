"""Fill translations into the catalogs from a JSON file: {msgid: {lang: text}}.

    python scripts/add_translations.py translations.json && scripts/i18n

Only empty entries are filled (a translation already in a catalog is never overwritten); the
Dutch catalog is the identity and is filled with the msgid itself.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent / "toetsbatterij" / "translations"


def main(path: str) -> int:
    wanted: dict[str, dict[str, str]] = json.loads(Path(path).read_text(encoding="utf-8"))
    for po_path in sorted(ROOT.glob("*/LC_MESSAGES/messages.po")):
        lang = po_path.parent.parent.name
        with open(po_path, "rb") as fh:
            catalog = read_po(fh, locale=lang)
        changed = 0
        for msgid, texts in wanted.items():
            text = msgid if lang == "nl" else texts.get(lang)
            message = catalog.get(msgid)
            if message is None:
                message = catalog.add(msgid)
            if text and not message.string:
                message.string = text
                changed += 1
        if changed:
            with open(po_path, "wb") as fh:
                write_po(fh, catalog, width=76, omit_header=False)
        print(f"{lang}: {changed} filled")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
