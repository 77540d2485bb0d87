"""Progress bars on standard error, for the command line and ``verbose=True``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

__all__ = ["progress_bars"]


@contextmanager
def progress_bars(
    console: Console | None = None,
) -> Iterator[Callable[[str, int, int], None]]:
    """A progress hook drawing one bar per training phase while in the block.

    The hook takes ``(phase, finished epochs, total epochs)``; a bar is
    removed once its phase is done.

    Examples
    --------
    >>> with progress_bars(Console(quiet=True)) as hook:
    ...     for epoch in range(1, 4):
    ...         hook("seed 1/1 teachers", epoch, 3)
    """
    columns = (
        TextColumn("{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("epochs"),
        TimeElapsedColumn(),
    )
    console = console or Console(stderr=True)
    with Progress(*columns, console=console, transient=True) as bars:
        tasks: dict[str, Any] = {}

        def hook(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bars.add_task(phase, total=total)
            bars.update(tasks[phase], completed=done)
            if done == total:
                bars.remove_task(tasks.pop(phase))

        yield hook
