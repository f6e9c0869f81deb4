"""Saving a workbook: the zip package written fast and the same bytes for the same report.

openpyxl's ``Workbook.save`` stamps the package with the current time (every zip entry's date
and the core properties) and deflates at zlib's default level 6. :func:`save_workbook` hands
openpyxl's own :class:`~openpyxl.writer.excel.ExcelWriter` an archive that

- dates every entry and the document properties at one given moment (the report's as-of date),
  so running the same report twice on the same data gives the same bytes, as every other crmkit
  output does, and a workbook can be checked into version control or compared with ``cmp``;
- deflates at level 1: the 1M-row monthly workbook holds about 260 MB of sheet XML, which
  level 6 compresses in about 5 s and level 1 in under 2 s, for a file about 30 % larger
  (37 MB instead of 29 MB; measured 2026-12-01, see benchmarks/README.md).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import zipfile

__all__ = ["COMPRESS_LEVEL", "save_workbook"]

#: zlib level of the package's entries (1 fastest, 9 smallest).
COMPRESS_LEVEL = 1

#: The moment a workbook is stamped with when the report has no as-of date: the zip format's
#: earliest representable date, so the bytes still do not depend on when it was written.
_EPOCH = dt.datetime(1980, 1, 1)


class _Archive(zipfile.ZipFile):
    """A zip file whose entries all carry one date and one compression level."""

    def __init__(self, path, when: dt.datetime):
        super().__init__(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True, compresslevel=COMPRESS_LEVEL)
        self._when = when.timetuple()[:6]

    def _entry(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self._when)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        # the attribute is compress_level from Python 3.13 on, _compresslevel before
        setattr(info, "compress_level" if hasattr(info, "compress_level") else "_compresslevel", COMPRESS_LEVEL)
        return info

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = self._entry(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, zipfile.ZIP_DEFLATED, COMPRESS_LEVEL)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        # openpyxl writes each sheet's XML to a temporary file first; stream it in, dated as the rest
        info = self._entry(str(arcname or filename))
        info.file_size = os.path.getsize(filename)  # so that a sheet past 2 GiB gets ZIP64 sizes
        with open(filename, "rb") as source, self.open(info, "w") as target:
            shutil.copyfileobj(source, target, 1 << 20)


def save_workbook(workbook, path, when: dt.date | dt.datetime | None = None) -> None:
    """Write an openpyxl ``workbook`` to ``path`` as :class:`ExcelWriter` does, dated ``when``.

    Parameters
    ----------
    workbook : openpyxl.Workbook
        A workbook (write-only ones can be saved once, as with ``Workbook.save``).
    path : str or os.PathLike
        The file to write (the caller makes it atomic: :mod:`crmkit.report.files`).
    when : datetime.date or datetime.datetime, optional
        The creation and modification time recorded in the package; default 1980-01-01.
    """
    from openpyxl.writer.excel import ExcelWriter

    if when is None:
        moment = _EPOCH
    elif isinstance(when, dt.datetime):
        moment = when.replace(tzinfo=None)
    else:
        moment = dt.datetime(when.year, when.month, when.day)
    moment = max(moment, _EPOCH)
    if workbook.write_only and not workbook.worksheets:
        workbook.create_sheet()
    workbook.properties.created = workbook.properties.modified = moment
    archive = _Archive(path, moment)
    try:
        ExcelWriter(workbook, archive).write_data()
    except BaseException:
        # finishing the archive would fail again on a full disk; the caller removes the file
        with contextlib.suppress(Exception):
            archive.close()
        raise
    archive.close()
