"""Reading and writing tables: CSV and Parquet files."""

from __future__ import annotations

import csv
import os
from collections import Counter
from pathlib import Path

import pandas as pd

from kdistill._io import atomic_path
from kdistill.exceptions import InputError

__all__ = ["SUFFIXES", "read_table", "write_table"]

#: File endings kdistill reads and writes, by format.
SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        known = ", ".join(sorted(SUFFIXES))
        raise InputError(
            f"{path}: unsupported file type {suffix or '(no extension)'!r}; "
            f"kdistill reads {known} files"
        )
    return SUFFIXES[suffix]


def _duplicates(names: list[str], path: Path) -> None:
    repeated = sorted(name for name, count in Counter(names).items() if count > 1)
    if repeated:
        raise InputError(
            f"{path}: duplicate column names {repeated}; give every column a "
            "unique name"
        )


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a CSV, TSV or Parquet file into a DataFrame, with clear errors.

    Empty strings and the usual missing markers (``NA``, ``NaN``, ``null``, ...)
    become missing values.

    Raises
    ------
    InputError
        The file is missing, of an unsupported type, empty, has only a header
        or has duplicate column names.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "t.csv").write_text("a,b\\n1,x\\n,y\\n")
    >>> read_table(folder / "t.csv").shape
    (2, 2)
    """
    path = Path(path)
    kind = _format(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty")

    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            names = pq.read_schema(path).names
        except Exception as error:
            raise InputError(f"{path}: not a readable Parquet file ({error})") from None
        _duplicates(names, path)
        frame = pd.read_parquet(path)
    else:
        delimiter = "\t" if kind == "tsv" else ","
        try:
            with path.open(newline="", encoding="utf-8-sig") as f:
                header = next(csv.reader(f, delimiter=delimiter), [])
            _duplicates(header, path)
            frame = pd.read_csv(path, sep=delimiter, encoding="utf-8-sig")
        except pd.errors.EmptyDataError:
            raise InputError(f"{path}: the file has no columns") from None
        except (pd.errors.ParserError, UnicodeDecodeError, csv.Error) as error:
            raise InputError(
                f"{path}: not a readable {kind.upper()} file ({error}); kdistill reads "
                "UTF-8 text"
            ) from None

    if frame.shape[0] == 0:
        raise InputError(f"{path}: the file has a header but no rows")
    frame.columns = [str(c) for c in frame.columns]
    return frame


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write ``frame`` as CSV, TSV or Parquet (by the file's ending), atomically."""
    kind = _format(Path(path))
    with atomic_path(path) as tmp:
        if kind == "parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, sep="\t" if kind == "tsv" else ",", index=False)
