"""Reading a run's configuration file (TOML)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from kdistill.exceptions import InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["read_config"]


def read_config(path: str | Path) -> dict[str, Any]:
    """The settings of a TOML config file, as a dictionary to validate.

    Relative paths in the file (data, test rows, teacher files, the run
    directory and the results file) are taken relative to the file's folder,
    so that a config file and its data can move together.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "run.toml").write_text('seeds = 3\\n[data]\\npath = "d.csv"\\n')
    >>> settings = read_config(folder / "run.toml")
    >>> settings["seeds"], Path(settings["data"]["path"]).name
    (3, 'd.csv')
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such config file")
    try:
        settings = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: not a valid TOML file ({error})") from None

    def here(value: Any) -> Any:
        if isinstance(value, str) and not Path(value).is_absolute():
            return str(path.parent / value)
        return value

    data = settings.get("data")
    if isinstance(data, dict):
        for key in ("path", "test"):
            if key in data:
                data[key] = here(data[key])
    for key in ("out", "json"):
        if key in settings and settings[key] != "-":
            settings[key] = here(settings[key])
    for key in ("teacher_models", "teacher_outputs"):
        if isinstance(settings.get(key), list):
            settings[key] = [here(value) for value in settings[key]]
    return settings
