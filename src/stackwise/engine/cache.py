"""The on-disk cache: per-file results keyed by content, tool version and configuration.

Per (version, configuration): a small index (per-file findings and stat data, plus the
project-level findings) read on every run, and the facts the linker needs, read only when some
file changed, in `FACT_SHARDS` files so that a small change rewrites a few of them. Each file is
a header, a BLAKE2 digest of the payload and a `marshal` payload of plain data; a file whose
digest does not match is ignored, so truncation, garbage or a concurrent writer can cost time
but never change a result. Writes go to a temporary file that is renamed into
place. Any failure to read or write is at most a warning: one for reading and one for writing per
run, however many files are affected.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import tempfile
import zlib
from pathlib import Path
from typing import Any

_MAGIC = b"STACKWISE-CACHE-1\n"
_DIGEST = 32


def content_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class Cache:
    def __init__(self, folder: Path | None, key: str) -> None:
        self.folder = folder
        self.key = key
        self.warnings: list[str] = []
        self._warned: set[str] = set()

    def sibling(self, key: str) -> Cache:
        """The same folder under another key, sharing this one's warnings (one per kind and
        run, however many cache files are affected)."""
        other = Cache(self.folder, key)
        other.warnings = self.warnings
        other._warned = self._warned
        return other

    def _warn(self, kind: str, message: str) -> None:
        if kind not in self._warned:
            self._warned.add(kind)
            self.warnings.append(message)

    def _path(self, kind: str) -> Path | None:
        if self.folder is None:
            return None
        return self.folder / f"{kind}-{self.key}.bin"

    def read(self, kind: str) -> Any | None:
        path = self._path(kind)
        if path is None:
            return None
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self._warn("read", f"cache not read ({path}): {exc.strerror or exc}")
            return None
        head = len(_MAGIC)
        if len(blob) < head + _DIGEST or not blob.startswith(_MAGIC):
            self._warn("read", f"cache ignored ({path.name}): not a stackwise cache file")
            return None
        digest, payload = blob[head : head + _DIGEST], blob[head + _DIGEST :]
        if hashlib.blake2b(payload, digest_size=_DIGEST).digest() != digest:
            self._warn("read", f"cache ignored ({path.name}): damaged")
            return None
        try:
            return marshal.loads(payload)
        except (ValueError, EOFError, TypeError):
            self._warn("read", f"cache ignored ({path.name}): unreadable")
            return None

    def write(self, kind: str, value: Any) -> None:
        path = self._path(kind)
        if path is None or self.folder is None or "write" in self._warned:
            return  # no cache, or writing already failed this run
        try:
            payload = marshal.dumps(value)
        except ValueError as exc:  # a rule stored something that is not plain data
            self._warn("write", f"cache not written: {exc}")
            return
        digest = hashlib.blake2b(payload, digest_size=_DIGEST).digest()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _mark_cache_dir(self.folder)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{path.name}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(_MAGIC + digest + payload)
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            self._warn("write", f"cache not written ({self.folder}): {exc.strerror or exc}")


FACT_SHARDS = 16


def fact_shard(display: str) -> int:
    """Which facts file holds a file's facts (the same on every run and machine)."""
    return zlib.crc32(display.encode("utf-8", "surrogateescape")) % FACT_SHARDS


class FactsStore:
    """Every file's facts, `{display: [digest, raw facts]}`, kept in `FACT_SHARDS` cache files
    (`facts00`...), so that a run which changed a few files rewrites a few of them, not all.

    `read()` merges every shard it can read (a missing or damaged one is empty, at most one
    warning); `write()` rewrites a shard only when its files, their digests, or the facts of a
    file analysed in this run differ from what was read."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        # per shard: {display: digest} as read, or None (not read, missing or damaged)
        self._read: list[dict[str, Any] | None] = [None] * FACT_SHARDS

    def read(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for i in range(FACT_SHARDS):
            data = self.cache.read(f"facts{i:02d}")
            if not isinstance(data, dict):
                continue
            merged.update(data)
            self._read[i] = {d: v[0] if isinstance(v, list | tuple) and v else None
                             for d, v in data.items()}
        return merged

    def write(self, facts: dict[str, Any], analysed: set[str]) -> None:
        shards: list[dict[str, Any]] = [{} for _ in range(FACT_SHARDS)]
        for display, value in facts.items():
            shards[fact_shard(display)][display] = value
        for i, shard in enumerate(shards):
            before = self._read[i]
            if before is not None and before.keys() == shard.keys() and all(
                    before[d] == v[0] and d not in analysed for d, v in shard.items()):
                continue  # the same files with the same facts: the file on disk holds them
            self.cache.write(f"facts{i:02d}", shard)


STALE_AFTER_S = 30 * 24 * 3600  # cache files of another key unused this long are removed
TMP_STALE_AFTER_S = 3600  # temporary files of a killed run


def prune(folder: Path | None, keep: set[str], now: float) -> int:
    """Remove what no run will read again: cache files of other keys (another stackwise build,
    Python, configuration or selection) not used for `STALE_AFTER_S`, and temporary files left
    by a killed run. Files of the keys in `keep` stay. Never raises; returns how many went."""
    if folder is None:
        return 0
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        name = entry.name
        if name.endswith(".tmp") and name.startswith("."):
            limit = TMP_STALE_AFTER_S
        elif name.endswith(".bin") and "-" in name:
            if name[:-4].rsplit("-", 1)[1] in keep:
                continue
            limit = STALE_AFTER_S
        else:
            continue  # .gitignore, CACHEDIR.TAG, anything we did not write
        try:
            st = entry.stat(follow_symlinks=False)
            if entry.is_file(follow_symlinks=False) and now - max(st.st_mtime, st.st_atime) > limit:
                os.unlink(entry.path)
                removed += 1
        except OSError:
            continue
    return removed


def _mark_cache_dir(folder: Path) -> None:
    gitignore = folder / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("# created by stackwise\n*\n", encoding="utf-8")
    tag = folder / "CACHEDIR.TAG"
    if not tag.exists():
        tag.write_text(
            "Signature: 8a477f597d28d172789f06886806bc55\n# stackwise cache, safe to delete\n",
            encoding="utf-8",
        )
