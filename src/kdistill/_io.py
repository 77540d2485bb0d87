"""Writing files and folders so that a reader never sees half of one."""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "atomic_dir",
    "atomic_path",
    "dumps",
    "json_safe",
    "write_json",
    "write_text",
]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``path`` that replaces it when the block succeeds.

    Write the file at the yielded path; if the block raises, the temporary
    file is removed and ``path`` is left as it was.
    """
    target = Path(path)
    fd, name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        # mkstemp makes the file private (0600); give it the usual mode.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_dir(
    path: str | os.PathLike[str], *, overwrite: bool = False
) -> Iterator[Path]:
    """A temporary folder that becomes ``path`` when the block succeeds.

    On failure the temporary folder is removed and an existing ``path`` is
    left as it was. With ``overwrite``, an existing ``path`` is replaced only
    once the new folder is complete.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield tmp
        mask = _umask()
        os.chmod(tmp, 0o777 & ~mask)
        for item in tmp.rglob("*"):
            # Some writers make private files; a run folder reads as any other.
            os.chmod(item, (0o777 if item.is_dir() else 0o666) & ~mask)
        if target.exists() and overwrite:
            old = Path(
                tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent)
            )
            os.replace(target, old / target.name)
            try:
                os.replace(tmp, target)
            except BaseException:
                os.replace(old / target.name, target)  # put the old run back
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` atomically: all of it, or nothing."""
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def json_safe(obj: Any) -> Any:
    """``obj`` with every non-finite float replaced by None, as JSON has no NaN."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {key: json_safe(value) for key, value in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(value) for value in obj]
    return obj


def dumps(obj: Any) -> str:
    """``obj`` as indented, strictly valid JSON text."""
    return json.dumps(json_safe(obj), indent=2, allow_nan=False) + "\n"


def write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as indented JSON to ``path`` atomically."""
    write_text(path, dumps(obj))
