"""Resolve a git merge conflict in the translation catalogs: for every .po file in conflict,
take the union of both sides' translations (ours first), then run scripts/i18n to extract,
update and compile from the merged code. Binary .mo conflicts are rebuilt by the compile.

    python scripts/merge_catalogs.py && git add toetsbatterij/translations
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent


def side(path: str, stage: int) -> bytes | None:
    done = subprocess.run(["git", "show", f":{stage}:{path}"], cwd=ROOT, capture_output=True)
    return done.stdout if done.returncode == 0 else None


def main() -> int:
    conflicted = subprocess.run(["git", "diff", "--name-only", "--diff-filter=U"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout.split()
    for path in conflicted:
        if path.endswith(".mo"):
            subprocess.run(["git", "checkout", "--ours", "--", path], cwd=ROOT, check=True)
            continue
        if not path.endswith((".po", ".pot")):
            continue
        ours, theirs = side(path, 2), side(path, 3)
        lang = Path(path).parent.parent.name if path.endswith(".po") else None
        merged = read_po(io.BytesIO(ours), locale=lang)
        if theirs is not None:
            for message in read_po(io.BytesIO(theirs), locale=lang):
                if not message.id:
                    continue
                mine = merged.get(message.id)
                if mine is None:
                    merged[message.id] = message
                elif message.string and not mine.string:
                    mine.string = message.string
        with open(ROOT / path, "wb") as fh:
            write_po(fh, merged, width=76)
        print(f"merged {path}")
    subprocess.run([str(ROOT / "scripts" / "i18n")], cwd=ROOT, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
