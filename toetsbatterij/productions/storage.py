"""Where recording chunks live: an interface with a filesystem implementation (the default, in
the instance folder). Raters will read takes through the same interface."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

_UID = re.compile(r"^[0-9a-f]{32}$")


class RecordingStorage(Protocol):
    def put_chunk(self, take_uid: str, part: int, seq: int, data: bytes) -> None:
        """Store chunk ``seq`` of part ``part`` of a take (overwrites the same chunk: a retry)."""

    def read_part(self, take_uid: str, part: int, chunks: int) -> bytes:
        """Chunks 0 .. ``chunks``-1 of a part, concatenated (one playable WebM/Ogg file)."""

    def delete_take(self, take_uid: str) -> bool:
        """Remove every stored chunk of a take (retention)."""


class FilesystemStorage:
    """One folder per take, one per part, one file per chunk; each file written atomically
    (temporary file + rename), so a crash mid-write never leaves half a chunk behind."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def _part_dir(self, take_uid: str, part: int) -> Path:
        if not _UID.match(take_uid) or not 0 <= part < 1000:
            raise ValueError(f"bad recording key {take_uid!r}/{part}")
        return self.root / take_uid[:2] / take_uid / f"{part:03d}"

    def put_chunk(self, take_uid: str, part: int, seq: int, data: bytes) -> None:
        folder = self._part_dir(take_uid, part)
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".chunk-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, folder / f"{seq:05d}.chunk")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def read_part(self, take_uid: str, part: int, chunks: int) -> bytes:
        folder = self._part_dir(take_uid, part)
        return b"".join((folder / f"{seq:05d}.chunk").read_bytes() for seq in range(chunks))

    def delete_take(self, take_uid: str) -> bool:
        """Remove every file of a take (retention); True when there was something to remove."""
        folder = self._part_dir(take_uid, 0).parent
        if not folder.exists():
            return False
        shutil.rmtree(folder)
        return True


def storage_for(config: Mapping[str, Any], instance_path: Path) -> FilesystemStorage:
    """The recordings storage of a configuration (``RECORDINGS_PATH``, by default
    ``<instance>/recordings``): the app and the erasure job use the same one."""
    return FilesystemStorage(config.get("RECORDINGS_PATH") or Path(instance_path) / "recordings")
