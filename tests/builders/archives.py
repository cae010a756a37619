"""Zip archives built in memory, and a listing of a folder to compare before and after."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path


def snapshot(root: Path) -> list[str]:
    """Every path under root (hidden ones too), to show an import left nothing behind."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def zip_bytes(members: list[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buf.getvalue()
