"""Messages on stderr: what a run read and did, its warnings, and a spinner while it works.

Data goes to stdout and everything else here, so ``crmkit segment - -f csv < sales.csv | sort``
stays clean; the spinner appears only when stderr is a terminal (pipes and cron logs get none).
The library itself never prints: only the CLI calls these.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable, Iterator

__all__ = ["say", "say_read", "status"]


def say(message: str) -> None:
    """One line on stderr."""
    sys.stderr.write(message.rstrip("\n") + "\n")


@contextlib.contextmanager
def status(message: str, quiet: bool) -> Iterator[None]:
    """A spinner on stderr while the block runs, only when stderr is a terminal and not ``quiet``."""
    if quiet or not sys.stderr.isatty():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(message):
        yield


def say_read(
    quality, as_of: str | None, quiet: bool, *, notes: Iterable[str] = (), warnings: Iterable[str] = ()
) -> None:
    """What was read and used (:meth:`~crmkit.io.quality.DataQuality.one_line`), then notes and warnings.

    ``as_of`` is the date the user gave, if any: without one the line says the last purchase date
    was used.
    """
    if quiet:
        return
    say("crmkit: " + quality.one_line() + ("" if as_of else " (last purchase date in the data)"))
    for note in notes:
        say(f"crmkit: note: {note}")
    for warning in [*quality.warnings, *warnings]:  # the read's own, then the analysis's
        say(f"crmkit: warning: {warning}")
