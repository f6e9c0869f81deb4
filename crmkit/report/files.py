"""Writing files safely: atomically (temp file, then rename) and never over an input."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from crmkit.errors import CrmkitError, OutputError


def same_file(a, b) -> bool:
    """Whether two paths name one file (hard links and symlinks included)."""
    a, b = Path(os.fspath(a)), Path(os.fspath(b))
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def _file_mode(target: Path) -> int:
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


@contextlib.contextmanager
def atomic_path(path, protect=()):
    """Yield a temporary path beside ``path``; move it onto ``path`` only if the block succeeds.

    A failed run (an error, a full disk, Ctrl-C) therefore leaves the previous file intact and
    no partial file behind. Paths in ``protect`` (the run's inputs) are never written.

    Raises
    ------
    OutputError
        ``path`` is protected, a folder, in a missing folder, or cannot be written.
    """
    target = Path(os.fspath(path))
    for protected in protect:
        if protected not in (None, "-") and same_file(target, protected):
            raise OutputError(
                "refusing to overwrite an input file", file=str(target), hint="choose another output path"
            )
    if target.is_dir():
        raise OutputError("is a folder, not a file", file=str(target))
    folder = target.parent
    if not folder.is_dir():
        raise OutputError(f"the folder {str(folder)!r} does not exist", file=str(target))
    try:
        fd, temp_path = tempfile.mkstemp(dir=folder, suffix=target.suffix, prefix=f".{target.stem}.")
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"cannot create a file in {str(folder)!r}: {exc.strerror or exc}", file=str(target)) from None
    try:
        yield temp_path
        os.chmod(temp_path, _file_mode(target))
        os.replace(temp_path, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.remove(temp_path)
        if isinstance(exc, CrmkitError) or not isinstance(exc, Exception):
            raise
        hint = "close the file if it is open in Excel" if isinstance(exc, PermissionError) else None
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else f"{type(exc).__name__}: {exc}"
        raise OutputError(f"cannot write: {reason}", file=str(target), hint=hint) from exc
