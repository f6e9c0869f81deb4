"""Ctrl-C and SIGTERM: one way out, whatever the run was doing.

Python turns SIGINT into :class:`KeyboardInterrupt` but lets SIGTERM kill the process on the
spot, leaving temporary files behind; and a signal that lands inside a DuckDB query comes back
as ``RuntimeError: Query interrupted`` (or ``duckdb.InterruptException``), which looks like any
other failure. :func:`catch_signals` (installed by the command line only: a library must not
take over a host program's signals) raises :class:`KeyboardInterrupt` for both signals and
remembers that it did, so that :func:`received` tells an interrupt from an error whatever
exception it surfaced as. :func:`deferred` holds signals back while outputs are put in place
or cleaned up, so those few renames are never cut in half.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator

__all__ = ["announce", "as_interrupt", "catch_signals", "deferred", "finish", "received"]

#: The exit status of an interrupted run (128 + SIGINT, what shells report for Ctrl-C).
EXIT_INTERRUPTED = 130

_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_received: list[int] = []
_announced: list[bool] = []
#: Set while :func:`catch_signals` has its handlers installed; then :func:`finish` may drop signals.
_catching: list[bool] = []
_finished: list[bool] = []


def received() -> bool:
    """Whether SIGINT or SIGTERM arrived since :func:`catch_signals` was entered."""
    return bool(_received)


def _raise_interrupt(signum, frame):
    _received.append(signum)
    raise KeyboardInterrupt


def _drop(signum, frame):
    """A signal after the run's outputs are in place: nothing is left to interrupt."""


def finish() -> None:
    """The run is done (its outputs are in place): SIGINT and SIGTERM are dropped from now on.

    Only inside :func:`catch_signals` (the command line); a notebook's Ctrl-C is left alone.
    """
    if _catching and threading.current_thread() is threading.main_thread():
        _finished.append(True)
        for signum in _SIGNALS:
            if signal.getsignal(signum) is _raise_interrupt:
                signal.signal(signum, _drop)


def announce(say: Callable[[str], object]) -> None:
    """Say ``crmkit: interrupted`` with ``say``, once per run however many layers see the interrupt."""
    if not _announced:
        _announced.append(True)
        say("crmkit: interrupted")


@contextlib.contextmanager
def catch_signals(say: Callable[[str], object]) -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise :class:`KeyboardInterrupt` and are remembered.

    An interrupt that leaves the block, or an exit with status 130 after a signal (the command
    line parser's own handling of an early Ctrl-C), is announced with ``say`` (once) and
    becomes exit status 130. A signal that is ignored when the process starts (``nohup``, a
    background job of a non-interactive shell) stays ignored. Outside the main thread the
    handlers are not installed (Python delivers signals to the main thread only).
    """
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in _SIGNALS:
            if signal.getsignal(signum) is not signal.SIG_IGN:
                previous[signum] = signal.signal(signum, _raise_interrupt)
    _received.clear()
    _announced.clear()
    _finished.clear()
    _catching.append(True)
    try:
        yield
    except KeyboardInterrupt:
        announce(say)
        raise SystemExit(EXIT_INTERRUPTED) from None
    except SystemExit as exc:
        if exc.code == EXIT_INTERRUPTED and received():
            announce(say)
        raise
    finally:
        _catching.clear()
        # after finish() the process is on its way out: a late signal must not kill it (exit -2)
        # between the finished run and the interpreter's exit
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_IGN if _finished else handler)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back during the block; one that arrived is delivered after it."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


@contextlib.contextmanager
def as_interrupt() -> Iterator[None]:
    """Within the block, an error raised once a signal has arrived is reported as the interrupt.

    A signal inside a DuckDB query surfaces as ``RuntimeError: Query interrupted``, and a
    reader or writer may wrap that in its own error; either is the interrupt, not a failure.
    """
    try:
        yield
    except Exception as exc:
        if received():
            raise KeyboardInterrupt from exc
        raise
