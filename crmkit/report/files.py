"""Writing a run's outputs safely: checked before the work, put in place together, never over an input.

An :class:`OutputPlan` is one run's outputs as a transaction. :meth:`OutputPlan.add` checks a
target before any data is read (a missing folder, a folder, no permission, an input of the run —
standard input included —, two outputs naming one file or both written to standard output) and
decides how it is written:

* a regular file (or a new one) is written to a temporary file beside it and renamed onto it;
  a symbolic link is followed, so its target is replaced and the link stays a link;
* a character device, a FIFO, ``/dev/stdout``-style paths and ``-`` are written straight through:
  opened and streamed, never created, renamed or replaced;
* a SQLite database (:meth:`OutputPlan.add` with ``database=True``: the monthly history) is
  changed in one transaction of its own.

:meth:`OutputPlan.commit` puts everything in place only once every output has been prepared;
if one step fails, no output replaces its predecessor. Temporary files are named
``.crmkit-<pid>-<random>.<name>`` beside their target, so a run killed outright (SIGKILL, power
loss) leaves recognisable leftovers, which the next run writing the same output removes.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import sqlite3
import stat
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from crmkit.errors import CrmkitError, OutputError
from crmkit.report import interrupts

__all__ = ["LOCK_TIMEOUT", "OutputPlan", "Target", "atomic_path", "output_errors", "output_target", "same_file"]

#: Seconds to wait for a database another process holds locked before giving up (exit 7).
LOCK_TIMEOUT = 5.0
_TEMP_PREFIX = ".crmkit-"
_FD_PATH = re.compile(r"/dev/(?:std(in|out|err)|fd/(\d+))|/proc/self/fd/(\d+)")


def same_file(a, b) -> bool:
    """Whether two paths name one file (hard links and symlinks included)."""
    a, b = Path(os.fspath(a)), Path(os.fspath(b))
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def _file_mode(target: str) -> int:
    """Permissions for the new file: the old file's, else what ``open()`` would give."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        pass
    # mkstemp creates 0600 files; a plain new file gets 0666 minus the umask, which can only
    # be read by setting it (restored at once)
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _stdout_fd() -> int | None:
    """The file descriptor behind ``sys.stdout``, or None when it is no real file (a test runner's)."""
    try:
        return sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return None


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def _write_error(exc: BaseException, name: str) -> BaseException:
    """What a failure while writing ``name`` becomes: an interrupt stays one, else an OutputError."""
    if interrupts.received() or isinstance(exc, KeyboardInterrupt):
        # DuckDB reports a signal inside a query as RuntimeError("Query interrupted")
        return KeyboardInterrupt()
    if isinstance(exc, (CrmkitError, BrokenPipeError)) or not isinstance(exc, Exception):
        return exc
    hint = "close the file if it is open in Excel or another program" if isinstance(exc, PermissionError) else None
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else f"{type(exc).__name__}: {exc}"
    return OutputError(f"cannot write: {reason}", file=name, hint=hint)


def _close_zip_files(tb) -> None:
    """Close the zip archives an error left open in its frames (openpyxl's).

    Otherwise ``ZipFile.__del__`` tries to finish the archive at exit, fails again on the full
    disk, and prints a traceback after the one-line error.
    """
    import zipfile

    for frame, _ in traceback.walk_tb(tb):
        for value in list(frame.f_locals.values()):
            archive = getattr(value, "_archive", value)
            if isinstance(archive, zipfile.ZipFile):
                with contextlib.suppress(Exception):
                    archive.close()


class Target:
    """One output of an :class:`OutputPlan`; write it with :meth:`writing` (or :meth:`stage`).

    ``kind`` is ``"file"`` (temporary file, then rename), ``"stream"`` (a device or FIFO,
    opened and written), ``"fd"`` (``/dev/stdout``-style: an open descriptor), ``"stdout"``
    (``-`` or no path) or ``"database"`` (SQLite, changed in a transaction).
    """

    def __init__(self, plan: OutputPlan, path: str | None, kind: str, real: str | None, create_folder: bool):
        self.plan = plan
        self.path = path
        self.kind = kind
        self.real = real  # the file a symlink points to; the file itself otherwise
        self.fd: int | None = None
        self.create_folder = create_folder
        self.prepared: str | None = None  # the complete temporary or scratch file
        self.changes: list[Callable[[sqlite3.Connection], None]] = []
        self._temps: list[str] = []

    @property
    def name(self) -> str:
        """The path as the user wrote it (``<stdout>`` for standard output)."""
        return self.path if self.path is not None and self.path != "-" else "<stdout>"

    @property
    def to_stdout(self) -> bool:
        return self.kind == "stdout"

    @property
    def to_terminal(self) -> bool:
        """Whether the output goes to a terminal: standard output or a ``/dev/stdout``-style path on one."""
        if self.kind == "stdout":
            return sys.stdout.isatty()
        if self.kind == "fd" and self.fd is not None:
            return os.isatty(self.fd)
        return False

    def __repr__(self) -> str:
        return f"Target({self.name!r}, {self.kind})"

    @contextlib.contextmanager
    def writing(self) -> Iterator[str]:
        """Yield a path to write the whole output to; it is put in place at :meth:`OutputPlan.commit`.

        For a file, a temporary file beside the target; for a stream, a scratch file in the
        system's temporary folder, copied into the stream at commit. A failure becomes an
        :class:`~crmkit.errors.OutputError` naming the output and removes the partial file.
        """
        if self.kind == "database":
            raise TypeError("a database output is changed with stage(), not written")
        try:
            if self.kind == "file":
                folder = os.path.dirname(self.real or "") or "."
                if self.create_folder:
                    os.makedirs(folder, exist_ok=True)
                fd, temp = tempfile.mkstemp(
                    dir=folder, prefix=f"{_TEMP_PREFIX}{os.getpid()}-", suffix=f".{os.path.basename(self.real or '')}"
                )
            else:
                fd, temp = tempfile.mkstemp(dir=self.plan.scratch(), suffix=Path(self.name).suffix)
            os.close(fd)
        except OSError as exc:
            raise OutputError(f"cannot create a file: {exc.strerror or exc}", file=self.name) from None
        self._temps.append(temp)
        try:
            yield temp
            if self.kind == "file":
                os.chmod(temp, _file_mode(self.real or ""))
        except BaseException as exc:
            _close_zip_files(exc.__traceback__)
            with interrupts.deferred():
                self._discard()
            error = _write_error(exc, self.name)
            if error is exc:
                raise
            raise error from (None if isinstance(error, KeyboardInterrupt) else exc)
        self.prepared = temp

    def stage(self, change: Callable[[sqlite3.Connection], None]) -> None:
        """Register a change of a database output, applied in one transaction at commit."""
        if self.kind != "database":
            raise TypeError("only a database output is staged")
        self.changes.append(change)

    def _discard(self) -> None:
        for temp in self._temps:
            with contextlib.suppress(OSError):
                os.remove(temp)
        self._temps.clear()
        self.prepared = None

    def _stream(self) -> None:
        """Copy the prepared scratch file into the device, FIFO, descriptor or standard output."""
        assert self.prepared is not None
        try:
            with open(self.prepared, "rb") as source:
                if self.kind == "stream":
                    with open(self.path or "", "wb") as sink:  # through a symlink to a FIFO too
                        shutil.copyfileobj(source, sink, 1 << 20)
                    return
                fd = self.fd if self.kind == "fd" else _stdout_fd()
                if fd is None:  # standard output replaced by a test runner
                    sys.stdout.flush()
                    shutil.copyfileobj(source, sys.stdout.buffer, 1 << 20)
                    sys.stdout.buffer.flush()
                    return
                with contextlib.suppress(ValueError, OSError):
                    sys.stdout.flush()
                while chunk := source.read(1 << 20):
                    view = memoryview(chunk)
                    while view:
                        view = view[os.write(fd, view) :]
        except BaseException as exc:
            error = _write_error(exc, self.name)
            if error is exc:
                raise
            raise error from None


class OutputPlan:
    """A run's outputs, checked before the run and put in place together at the end.

    Use it as a context manager: leaving the block normally commits, an exception (an error,
    Ctrl-C) discards every prepared output, so none replaces its predecessor.

    Parameters
    ----------
    protect : iterable of path
        The run's inputs: no output may be one of them (``-`` stands for standard input).
    ends_run : bool
        The plan is the command's own (the CLI's): once it has committed, the run is done, and a
        SIGINT or SIGTERM that arrives later (or was held back during the commit) is dropped
        instead of reporting "interrupted" over outputs that are already in place
        (:func:`crmkit.report.interrupts.finish`).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with OutputPlan() as plan:
    ...     target = plan.add(folder / "customers.csv")
    ...     with target.writing() as temp:
    ...         _ = pathlib.Path(temp).write_text("id\\n1\\n")
    >>> (folder / "customers.csv").read_text()
    'id\\n1\\n'
    """

    def __init__(self, protect: Iterable = (), *, ends_run: bool = False):
        self.ends_run = ends_run
        self.targets: list[Target] = []
        self._inputs: list[tuple[str, tuple[int, int] | str]] = []
        self._scratch: str | None = None
        self._callbacks: list[tuple[Callable[..., object], tuple]] = []
        self.protect(*protect)

    def __enter__(self) -> OutputPlan:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()

    # --- checking ------------------------------------------------------------------------
    def protect(self, *paths) -> None:
        """Add inputs of the run; an output that is one of them is refused (also one added before)."""
        for path in paths:
            if isinstance(path, (str, os.PathLike)) and os.fspath(path) != "":
                key = _stdin_identity() if os.fspath(path) == "-" else _identity(os.fspath(path))
                if key is not None:
                    self._inputs.append((os.fspath(path), key))
        for target in self.targets:
            self._check_not_input(target)

    def add(self, path, *, database: bool = False, create_folder: bool = False) -> Target:
        """Check an output now and return its :class:`Target`; ``None`` or ``-`` is standard output.

        Parameters
        ----------
        path : str or os.PathLike or None
        database : bool
            A SQLite database changed in place in a transaction (the monthly history).
        create_folder : bool
            Create a missing folder when writing (the monthly report's ``{yyyy}`` folders)
            instead of refusing it.

        Raises
        ------
        crmkit.errors.OutputError
            A folder, a missing folder, no permission to write, an input of the run, a file
            another output of the plan writes, or a kind of file that cannot be written.
        """
        if path is None or os.fspath(path) == "-":
            target = Target(self, "-" if path is not None else None, "stdout", None, False)
            if database:
                raise OutputError("a database must be a file, not standard output", file=target.name)
            self._check_not_input(target)
            self._check_not_taken(target)
            self.targets.append(target)
            return target
        text = os.fspath(path)
        if text.strip() == "":
            raise OutputError("an output path is empty")
        special = _FD_PATH.fullmatch(text)
        if special and not database:
            target = Target(self, text, "fd", text, False)
            target.fd = {"in": 0, "out": 1, "err": 2}.get(special.group(1) or "", 0)
            if not special.group(1):
                target.fd = int(special.group(2) or special.group(3))
            self._check_not_input(target)
            self._check_not_taken(target)
            self.targets.append(target)
            return target
        real = os.path.realpath(text)
        try:
            info = os.stat(real)
        except FileNotFoundError:
            info = None
        except OSError as exc:
            raise OutputError(f"cannot write: {exc.strerror or exc}", file=text) from None
        if info is not None and stat.S_ISDIR(info.st_mode):
            raise OutputError("is a folder, not a file", file=text)
        if info is not None and (stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode)) and not database:
            kind = "stream"
            if not os.access(real, os.W_OK):
                raise OutputError("no permission to write", file=text)
        elif info is None or stat.S_ISREG(info.st_mode):
            kind = "database" if database else "file"
            self._check_folder(text, real, create_folder)
            if info is not None and not os.access(real, os.W_OK):
                raise OutputError("no permission to write", file=text, hint="the file is read-only")
        else:
            what = "database" if database else "output"
            raise OutputError(f"the {what} must be a regular file, a character device or a FIFO", file=text)
        target = Target(self, text, kind, real, create_folder)
        self._check_not_input(target)
        self._check_not_taken(target)
        self.targets.append(target)
        if kind == "file":
            _remove_stale_temps(real)
        return target

    def find(self, path, *, database: bool = False) -> Target | None:
        """The target added for exactly this path (as written) and kind, if any."""
        text = None if path is None else os.fspath(path)
        return next((t for t in self.targets if t.path == text and (t.kind == "database") == database), None)

    def _check_folder(self, text: str, real: str, create_folder: bool) -> None:
        folder = os.path.dirname(real) or "."
        if not os.path.isdir(folder):
            if not create_folder:
                raise OutputError(f"the folder {os.path.dirname(text) or '.'!r} does not exist", file=text)
            while folder and not os.path.exists(folder):  # the folder that will hold the new ones
                folder = os.path.dirname(folder)
            if not os.path.isdir(folder or "."):
                raise OutputError(f"{folder!r} is not a folder", file=text)
        if not os.access(folder or ".", os.W_OK | os.X_OK):
            raise OutputError(f"no permission to create files in {folder!r}", file=text)

    def _check_not_input(self, target: Target) -> None:
        key = _target_identity(target)
        if key is None:
            return
        for path, input_key in self._inputs:
            if key == input_key:
                shown = "standard input" if path == "-" else repr(path)
                message = f"refusing to overwrite an input file ({shown})"
                raise OutputError(message, file=target.name, hint="choose another output path")

    def _check_not_taken(self, target: Target) -> None:
        # two outputs streamed into one descriptor (`-` and /dev/stdout) would interleave there
        fd = _descriptor(target)
        for other in self.targets:
            if fd is not None and _descriptor(other) == fd:
                where = "standard output" if fd == 1 else f"file descriptor {fd}"
                raise OutputError(f"two outputs write to {where} (also {other.name!r})", file=target.name)
        key = _target_identity(target)
        for other in self.targets:
            if other.kind in ("file", "database", "stream") and key is not None and _target_identity(other) == key:
                raise OutputError(f"two outputs name one file (also {other.name!r})", file=target.name)

    # --- writing -------------------------------------------------------------------------
    def scratch(self) -> str:
        """A private folder for outputs that are streamed at commit."""
        if self._scratch is None:
            self._scratch = tempfile.mkdtemp(prefix="crmkit-out-")
        return self._scratch

    def on_commit(self, callback: Callable[..., object], *args) -> None:
        """Call ``callback(*args)`` once every output is in place (a "written to" message)."""
        self._callbacks.append((callback, args))

    def commit(self) -> None:
        """Put every prepared output in place; if one step fails, none replaces its predecessor.

        Order: database changes are applied in open transactions (their locks taken), streams
        are written, files are renamed onto their targets (the previous files kept as hard
        links until the end), then the transactions commit. A failure at any step undoes the
        renames and rolls the transactions back.
        """
        databases: list[tuple[Target, sqlite3.Connection, bool]] = []
        renamed: list[tuple[str, str | None]] = []
        try:
            for target in self.targets:
                if target.kind == "database" and target.changes:
                    databases.append(_begin(target))
            for target in self.targets:
                if target.kind in ("stream", "fd", "stdout") and target.prepared:
                    target._stream()
            with interrupts.deferred():
                try:
                    for target in self.targets:
                        if target.kind == "file" and target.prepared:
                            renamed.append(_replace(target))
                    for target, con, _ in databases:
                        try:
                            con.execute("COMMIT")
                        except sqlite3.Error as exc:
                            raise OutputError(f"cannot write the database: {exc}", file=target.name) from None
                    if self.ends_run:
                        interrupts.finish()  # before the held-back signals are let through
                except BaseException:
                    for real, backup in reversed(renamed):
                        with contextlib.suppress(OSError):
                            if backup:
                                os.replace(backup, real)
                            else:
                                os.remove(real)
                    renamed.clear()
                    raise
                finally:
                    for _, backup in renamed:
                        if backup:
                            with contextlib.suppress(OSError):
                                os.remove(backup)
        except BaseException:
            with interrupts.deferred():
                for target, con, existed in databases:
                    _rollback(target, con, existed)
                self.abort()
            raise
        for _, con, _ in databases:
            con.close()
        self.abort()  # nothing is left to discard but the scratch folder
        for callback, args in self._callbacks:
            callback(*args)

    def abort(self) -> None:
        """Discard every prepared output; the previous files stay as they are."""
        with interrupts.deferred():
            for target in self.targets:
                target._discard()
            if self._scratch is not None:
                shutil.rmtree(self._scratch, ignore_errors=True)
                self._scratch = None


def _identity(path: str) -> tuple[int, int] | str | None:
    """What names a file whatever the spelling: device and inode, else the resolved path."""
    try:
        info = os.stat(path)
    except OSError:
        return os.path.normcase(os.path.realpath(path))
    return (info.st_dev, info.st_ino)


def _stdin_identity() -> tuple[int, int] | None:
    """Standard input's file, when it is one (``crmkit segment - < sales.csv``), not a terminal."""
    try:
        info = os.fstat(0)
    except OSError:
        return None
    return None if stat.S_ISCHR(info.st_mode) else (info.st_dev, info.st_ino)


def _descriptor(target: Target) -> int | None:
    """The descriptor a ``-`` (1) or ``/dev/stdout``-style output is written to; None for the others."""
    return 1 if target.kind == "stdout" else target.fd if target.kind == "fd" else None


def _target_identity(target: Target) -> tuple[int, int] | str | None:
    if target.kind in ("stdout", "fd"):
        fd = target.fd if target.kind == "fd" else _stdout_fd()
        try:
            info = os.fstat(fd) if fd is not None else None
        except OSError:
            return None
        return None if info is None or stat.S_ISCHR(info.st_mode) else (info.st_dev, info.st_ino)
    if target.kind == "stream":
        info = os.stat(target.real or "")
        return None if stat.S_ISCHR(info.st_mode) else (info.st_dev, info.st_ino)
    return _identity(target.real or "")


def _remove_stale_temps(real: str) -> None:
    """Remove temporary files of this output left by runs that were killed outright."""
    folder, name = os.path.split(real)
    pattern = re.compile(re.escape(_TEMP_PREFIX) + r"(\d+)-[a-z0-9_]+\." + re.escape(name) + r"(\.old)?")
    with contextlib.suppress(OSError):
        for entry in os.listdir(folder or "."):
            found = pattern.fullmatch(entry)
            if found and not _pid_alive(int(found.group(1))):
                with contextlib.suppress(OSError):
                    os.remove(os.path.join(folder, entry))


def _replace(target: Target) -> tuple[str, str | None]:
    """Rename the prepared file onto the target, keeping the previous file as a hard link."""
    real, temp = target.real or "", target.prepared or ""
    backup: str | None = f"{temp}.old"
    try:
        os.link(real, backup)  # type: ignore[arg-type]
    except OSError:
        backup = None  # no previous file (or no hard links here): nothing to restore
    with contextlib.suppress(OSError):  # keep the owner when allowed (a root cron job)
        previous = os.stat(real)
        os.chown(temp, previous.st_uid, previous.st_gid)
    try:
        os.replace(temp, real)
    except OSError as exc:
        if backup:
            with contextlib.suppress(OSError):
                os.remove(backup)
        raise _write_error(exc, target.name) from None
    target._temps.remove(temp)
    target.prepared = None
    return real, backup


def _begin(target: Target) -> tuple[Target, sqlite3.Connection, bool]:
    """Open the database, take its write lock and apply the staged changes (not committed)."""
    real = target.real or ""
    existed = os.path.exists(real)
    con = None
    try:
        if target.create_folder:
            os.makedirs(os.path.dirname(real) or ".", exist_ok=True)
        con = sqlite3.connect(real, timeout=LOCK_TIMEOUT, isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        for change in target.changes:
            change(con)
    except BaseException as exc:  # an error, or Ctrl-C while waiting for the lock
        if con is not None:
            _rollback(target, con, existed)
        elif not existed:
            with contextlib.suppress(OSError):
                os.remove(real)
        if isinstance(exc, (sqlite3.Error, OSError)):
            raise OutputError(f"cannot write the database: {exc}", file=target.name) from None
        raise
    return target, con, existed


def _rollback(target: Target, con: sqlite3.Connection, existed: bool) -> None:
    with contextlib.suppress(sqlite3.Error):
        con.execute("ROLLBACK")
    con.close()
    if not existed:  # connecting created it
        with contextlib.suppress(OSError):
            os.remove(target.real or "")


@contextlib.contextmanager
def output_errors() -> Iterator[None]:
    """Within the block, a full disk or device met outside a plan (a table printed into it) is an OutputError.

    What standard output still holds is dropped (it cannot be written either), so that Python's
    final flush adds no second error after the one line.
    """
    try:
        yield
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            raise
        fd = _stdout_fd()
        if fd is not None:
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), fd)
        raise OutputError(f"cannot write: {exc.strerror or exc}", file=exc.filename or "<stdout>") from None


@contextlib.contextmanager
def output_target(path, protect: Iterable = ()) -> Iterator[Target]:
    """The :class:`Target` given, or a one-output plan for a path, committed when the block ends."""
    if isinstance(path, Target):
        yield path
        return
    with OutputPlan(protect) as plan:
        yield plan.add(path)


@contextlib.contextmanager
def atomic_path(path, protect=()) -> Iterator[str]:
    """Yield a temporary path for ``path``; put it in place only if the block succeeds.

    A failed run (an error, a full disk, Ctrl-C) therefore leaves the previous file intact and
    no partial file behind. Paths in ``protect`` (the run's inputs) are never written. ``path``
    may also be a :class:`Target` of a plan (then it is put in place at the plan's commit).

    Raises
    ------
    OutputError
        ``path`` is protected, a folder, in a missing folder, or cannot be written.
    """
    with output_target(path, protect) as target, target.writing() as temp:
        yield temp
