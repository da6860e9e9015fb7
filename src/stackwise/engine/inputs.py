"""Reading files of the project that are not analysed Python (templates) for project rules."""

from __future__ import annotations

import os


def read_input(root: str, rel_path: str, limit: int) -> bytes | None:
    """The bytes of `root/rel_path`, or None when absent, outside the root, not a regular file,
    unreadable or over `limit` bytes."""
    if not root or not rel_path or rel_path.startswith("/") or "\0" in rel_path:
        return None
    parts = rel_path.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return None
    full = os.path.join(root, *parts)
    try:
        real_root = os.path.realpath(root)
        real = os.path.realpath(full)
        if os.path.commonpath([real_root, real]) != real_root or not os.path.isfile(real):
            return None
        if os.path.getsize(real) > limit:
            return None
        with open(real, "rb") as fh:
            data = fh.read(limit + 1)
    except (OSError, ValueError):
        return None
    return data if len(data) <= limit else None
