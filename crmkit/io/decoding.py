"""Decoding an export's bytes: quoting, line ends, encodings, and the transcoding to UTF-8 for DuckDB.

The reader (:mod:`crmkit.io.readers`) sniffs a file from its first bytes; what it cannot see
there — a stray quote far down, a change of line ends or of encoding after the sample — is found
here by streaming over the whole file in blocks, never holding it in memory.
"""

from __future__ import annotations

import codecs
import gzip
import os
import re
import tempfile
from dataclasses import dataclass
from typing import Any

from crmkit.errors import InputError

#: Bytes at the start of a file that decide whether it is UTF-16 without a BOM.
UTF16_PROBE = 4096
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")


def check_quotes_balanced(path: str, display: str, *, gz: bool) -> None:
    """Raise an :class:`InputError` naming the line where an unterminated quoted field starts.

    Every quoted field has an opening and a closing quote and an escaped quote is doubled, so a
    well-formed file has an even number of ``"``; counting bytes is fast, and only a file that
    fails the count is read again line by line to find the culprit.
    """
    opener = gzip.open if gz else open
    try:
        with opener(path, "rb") as raw:
            count = sum(chunk.count(b'"') for chunk in iter(lambda: raw.read(1 << 22), b""))
            if count % 2 == 0:
                return
            raw.seek(0)
            inside, opened, line_no = False, 0, 0
            for line_no, line in enumerate(raw, start=1):
                if line.count(b'"') % 2:
                    inside = not inside
                    if inside:
                        opened = line_no
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"cannot read file: {exc}", file=display) from None
    raise InputError(
        "malformed table: a quoted field is never closed (a stray quote?)",
        file=display,
        row=opened or None,
        hint='double a quote inside a quoted field ("") or remove the stray one',
    )


class _LineEnds:
    """Line ends of a stream of chunks (bytes or text): how many, and which kinds outside quoted fields.

    DuckDB takes one line end for the whole file and refuses the rest, so a file whose rows end
    in more than one way (``\\r\\n``, ``\\n``, a lone ``\\r``) has to be normalised first. Breaks
    inside quoted fields are left out of the kinds, so Excel's LF-inside-a-cell in a CRLF file is
    not a mix; they are counted as lines, because rows in messages are the file's lines.
    """

    def __init__(self, kind: type) -> None:
        # Any: the same counting serves bytes (a UTF-8 file checked as it is) and text (transcoded)
        self._cr: Any = "\r" if kind is str else b"\r"
        self._lf: Any = "\n" if kind is str else b"\n"
        self._q: Any = '"' if kind is str else b'"'
        self._empty = self._cr[:0]
        self._held = self._empty
        self._inside = False
        self.kinds: set[str] = set()
        self.lines = 0

    @property
    def mixed(self) -> bool:
        return len(self.kinds) > 1

    def _ends(self, chunk) -> tuple[int, int, int]:
        cr = chunk.count(self._cr)
        if not cr:  # most files end lines in LF alone: one count instead of three
            return 0, 0, chunk.count(self._lf)
        crlf = chunk.count(self._cr + self._lf)
        return crlf, cr - crlf, chunk.count(self._lf) - crlf

    def row_after(self, head) -> int:
        """The line (1-based) that continues after everything fed so far and then ``head``."""
        return 1 + self.lines + sum(self._ends(self._held + head))

    def feed(self, chunk) -> None:
        chunk = self._held + chunk
        self._held = self._empty
        if chunk.endswith(self._cr):  # may be the first half of a CRLF split between two chunks
            chunk, self._held = chunk[:-1], chunk[-1:]
        self._account(chunk)

    def close(self) -> None:
        self._account(self._held)
        self._held = self._empty

    def _account(self, chunk) -> None:
        counts = self._ends(chunk)
        self.lines += sum(counts)
        quotes = chunk.count(self._q)
        found = {kind for kind, n in zip(("crlf", "cr", "lf"), counts) if n}
        # The quoted fields are only cut out when the chunk could add a second kind: it is a pass
        # over the chunk, and most files use one line end everywhere.
        if len(self.kinds | found) > 1 and (quotes or self._inside):
            # the pieces between quotes alternate outside and inside a quoted field
            outside = self._empty.join(((self._q if self._inside else self._empty) + chunk).split(self._q)[0::2])
            found = {kind for kind, n in zip(("crlf", "cr", "lf"), self._ends(outside)) if n}
        self.kinds |= found
        self._inside ^= quotes % 2 == 1


def mixed_line_ends(sample: bytes | str) -> bool:
    """True when rows end in more than one way (``\\r\\n``, ``\\n``, a lone ``\\r``), quoted fields aside.

    DuckDB takes one line end for the whole file and refuses the rest; CR CR LF (a CRLF file
    that went through a tool adding CRs) is such a mix. Line breaks inside quoted fields are
    left out of the count, so Excel's LF-inside-a-cell in a CRLF file is not a mix. Give decoded
    text for UTF-16, whose bytes hide its line ends (``\\r\\x00\\n\\x00``).
    """
    ends = _LineEnds(type(sample))
    ends.feed(sample)
    ends.close()
    return ends.mixed


def codec_name(encoding: str) -> str:
    """Python's own name of an encoding (``UTF8`` -> ``utf-8``, ``utf_16le`` -> ``utf-16-le``)."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return encoding.lower()


def utf16_without_bom(sample: bytes) -> str | None:
    """``"utf-16-le"`` or ``"utf-16-be"`` when a sample without a BOM looks like UTF-16 text, else None.

    Excel's "Unicode text" and many Windows tools write UTF-16 with no BOM. Text in such exports is
    mostly ASCII (digits, dates, delimiters), and an ASCII character is one byte and a NUL in
    UTF-16: NULs at the odd positions (little-endian) or the even ones (big-endian), next to
    printable bytes. ASCII, UTF-8 and GB18030 text has no NULs at all, so a fifth of the code units
    with a NUL half (and few on the other side) is not a coincidence. The first UTF16_PROBE bytes
    decide, and they must then decode.
    """
    head = sample[:UTF16_PROBE]
    head = head[: len(head) - len(head) % 2]
    units = len(head) // 2
    if not units:
        return None
    even, odd = head[0::2], head[1::2]
    for order, zeros, other in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        nul = zeros.count(0)
        # other.count(0): CJK characters such as U+4E00 have a NUL half too, but few of them
        if nul < units / 5 or other.count(0) * 4 > nul:
            continue
        ascii_half = [b for z, b in zip(zeros, other) if z == 0]
        if sum(1 for b in ascii_half if 32 <= b < 127 or b in (9, 10, 13)) < 0.9 * nul:
            continue
        try:
            codecs.getincrementaldecoder(order)(errors="strict").decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return order
    return None


def detect_encoding(sample: bytes, complete: bool) -> str:
    """Encoding of a byte sample: BOMs first, then UTF-16 without a BOM, then UTF-8, then GB18030
    (a superset of GBK), then cp1252.

    UTF-8 is tried before GB18030 because valid UTF-8 Chinese text is rarely also valid GB18030
    in a sample of any size, while the reverse is common. UTF-16 comes before both because its
    NULs are valid UTF-8.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    order = utf16_without_bom(sample)
    if order:
        return order
    for enc in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(enc)()
        try:
            text = decoder.decode(sample, final=complete)
        except UnicodeDecodeError:
            continue
        if enc == "gb18030" and _latin_in_disguise(text, sample):
            return "cp1252"
        return enc
    return "cp1252"


def _latin_in_disguise(text: str, sample: bytes) -> bool:
    """Whether text that decoded as GB18030 is really cp1252 (Western European) read wrongly.

    A cp1252 accented letter followed by an ASCII letter is a valid GB18030 pair, so a German or
    French export re-saved by Excel can decode as GB18030 ("Lea Müller" as "Lea M黮ler"). Such pairs
    fall outside GB2312, the 7,445 characters nearly all Chinese text is written in (both bytes from
    0xA1): 黮 is FC 6C. When most of the non-ASCII characters are such rarities, the file is not
    Chinese.
    """
    foreign = [ch for ch in text if ord(ch) > 127]
    rare = sum(1 for ch in foreign if len(code := ch.encode("gb18030")) != 2 or code[1] < 0xA1)
    if not foreign or rare * 2 < len(foreign):
        return False
    try:
        sample.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


@dataclass
class Undecodable:
    """Where a file first stops decoding: byte offset (0-based, of the uncompressed data), line, reason."""

    offset: int
    row: int
    reason: str
    ascii_before: bool = False


def _bad_bytes_at(exc: UnicodeDecodeError, block: bytes, pos: int) -> int:
    """Offset in the file of the bytes an incremental decoder refused while decoding ``block`` (at ``pos``).

    The decoder prepends the incomplete sequence it held back from the previous block, so the
    error's offsets count from ``pos`` minus those bytes.
    """
    return pos - (len(exc.object) - len(block)) + exc.start


def scan_utf8(path: str, display: str, *, gz: bool) -> tuple[Undecodable | None, bool]:
    """Check a whole UTF-8 file past what the sample showed: where it first fails to decode, and whether
    its rows end in more than one way.

    DuckDB reads UTF-8 directly, so without this pass a file that turns into GBK, or from CRLF to
    lone CRs, after the sample would only fail inside DuckDB. Read in blocks; an ASCII block (the
    usual case) is not decoded at all. The scan stops at the first undecodable bytes.
    """
    opener = gzip.open if gz else open
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    ends = _LineEnds(bytes)
    pos = 0
    first_high = None  # offset of the first byte >= 0x80: GB18030 is only tried on an ASCII start
    try:
        with opener(path, "rb") as raw:
            while True:
                block = raw.read(1 << 22)
                if first_high is None and block.isascii():
                    if not block:
                        break
                else:
                    if first_high is None:
                        high = _HIGH_BYTE.search(block)
                        first_high = pos + (high.start() if high else len(block))
                    try:
                        decoder.decode(block, final=not block)
                    except UnicodeDecodeError as exc:
                        offset = _bad_bytes_at(exc, block, pos)
                        row = ends.row_after(block[: max(0, offset - pos)])
                        return Undecodable(offset, row, exc.reason, first_high >= offset), ends.mixed
                    if not block:
                        break
                ends.feed(block)
                pos += len(block)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"cannot read file: {exc}", file=display) from None
    ends.close()
    return None, ends.mixed


def transcode_to_utf8(
    path: str,
    encoding: str,
    workdir: str,
    *,
    gz: bool,
    display: str,
    newlines: bool = False,
    tried: str | None = None,
) -> tuple[str, bool]:
    """Stream a file in ``encoding`` into a UTF-8 temporary file for DuckDB (line numbers unchanged).

    With ``newlines``, every line end (``\\r\\n``, ``\\r``, ``\\n``) becomes ``\\n``, as Python's
    universal newlines read them (so CR CR LF is a line end and a blank line, which is skipped).
    Returns the temporary file and whether the rows end in more than one way: without
    ``newlines`` such a file has to be written again with them, because the sample that decided
    may not have shown the mix. Bytes that do not decode are an :class:`InputError` naming their
    byte offset and line; ``tried`` names the encoding that failed before, for that message.
    """
    fd, out_path = tempfile.mkstemp(prefix="crmkit-utf8-", suffix=".csv", dir=workdir)
    opener = gzip.open if gz else open
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    ends = _LineEnds(str)
    held = ""  # a CR at the end of a block, which may be half of a CRLF
    pos = 0
    try:
        with opener(path, "rb") as raw, os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            while True:
                block = raw.read(1 << 22)
                state = decoder.getstate()
                try:
                    text = decoder.decode(block, final=not block)
                except UnicodeDecodeError as exc:
                    offset = _bad_bytes_at(exc, block, pos)
                    decoder.setstate(state)
                    try:  # the bytes before the bad ones decode, and their lines give the row
                        head = decoder.decode(block[: max(0, offset - pos)])
                    except UnicodeDecodeError:
                        head = ""
                    raise _DecodeFailure(Undecodable(offset, ends.row_after(head), exc.reason)) from None
                ends.feed(text)
                if newlines:
                    text, held = held + text, ""
                    if text.endswith("\r") and block:
                        text, held = text[:-1], "\r"
                    text = text.replace("\r\n", "\n").replace("\r", "\n")
                out.write(text)
                if not block:
                    break
                pos += len(block)
    except _DecodeFailure as failure:
        os.unlink(out_path)
        bad = failure.where
        raise InputError(
            f"cannot decode as {tried + ' or ' if tried else ''}{encoding} at byte {bad.offset:,} ({bad.reason})",
            file=display,
            row=bad.row,
            hint="a file in two encodings? save it again in one"
            if tried
            else "force the encoding with --encoding" + (", e.g. --encoding gb18030" if "gb" not in encoding else ""),
        ) from None
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        os.unlink(out_path)
        raise InputError(f"cannot read file: {exc}", file=display) from None
    ends.close()
    return out_path, ends.mixed


class _DecodeFailure(Exception):
    """Carries an :class:`Undecodable` out of the reading loop, past its ``with`` blocks."""

    def __init__(self, where: Undecodable) -> None:
        super().__init__(where.reason)
        self.where = where
