"""Regenerate the README's pictures of the monthly workbook: ``python scripts/screenshots.py``.

Runs ``crmkit report`` on the bundled examples for each month-end of 2024 (English and Chinese),
prints the last workbook to PDF with LibreOffice (``soffice --headless``) and turns the first
printed page of the Overview,
Segments, Drivers and Retention sheets into ``docs/images/<lang>-<sheet>.png`` with poppler's
``pdftoppm``. The page of a sheet is found by its name in the page footer (``pdftotext``).

Needs ``libreoffice-calc``, ``poppler-utils`` and ``fonts-noto-cjk`` (Debian packages). Run by hand;
the pictures are committed so that the README shows what a user gets.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
#: The sheets pictured, by their catalogue key (``sheet:<name>``); the picture takes the name.
SHEETS = ("overview", "segments", "drivers", "retention")


def run(args: list[str], cwd: Path) -> None:
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL)


def page_texts(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    return out.stdout.split("\f")


def sheet_names(workbook: Path) -> list[str]:
    from openpyxl import load_workbook

    book = load_workbook(workbook, read_only=True)
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def first_page_of(texts: list[str], name: str) -> int | None:
    """1-based number of the first page whose footer line starts with the sheet's name."""
    for number, text in enumerate(texts, 1):
        lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
        if lines and lines[-1].startswith(name):
            return number
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images")
    parser.add_argument("--dpi", type=int, default=70)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from crmkit.report.i18n import label

    for tool in ("soffice", "pdftoppm", "pdftotext"):
        if shutil.which(tool) is None:
            print(f"screenshots: {tool} not found (apt-get install libreoffice-calc poppler-utils)", file=sys.stderr)
            return 2
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="crmkit-shots-") as tmp:
        work = Path(tmp)
        for lang in ("en", "zh"):
            book = work / f"monthly-{lang}.xlsx"
            # a year of month-end runs into one history, so the Overview shows twelve months as in use
            for month in range(1, 13):
                as_of = (date(2024, month, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
                run(
                    [sys.executable, "-m", "crmkit", "report", str(EXAMPLES / "sales.csv"), "--survey",
                     str(EXAMPLES / "survey.csv"), "--members", str(EXAMPLES / "members.csv"), "--referrals",
                     str(EXAMPLES / "referrals.csv"), "--lang", lang, "-o", str(book), "--history",
                     str(work / f"history-{lang}.sqlite"), "--as-of", as_of.isoformat(), "-q"],
                    work,
                )  # fmt: skip
            profile = (work / "lo-profile").as_uri()
            run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                 "--outdir", str(work), str(book)], work)  # fmt: skip
            texts = page_texts(book.with_suffix(".pdf"))
            names = sheet_names(book)
            for picture in SHEETS:
                title = label(f"sheet:{picture}", lang)
                page = first_page_of(texts, title) if title in names else None
                if page is None:
                    print(f"screenshots: no printed page of sheet {title!r} ({lang})", file=sys.stderr)
                    continue
                stem = args.out / f"{lang}-{picture}"
                run(["pdftoppm", "-png", "-r", str(args.dpi), "-f", str(page), "-l", str(page), "-singlefile",
                     str(book.with_suffix(".pdf")), str(stem)], work)  # fmt: skip
                print(f"{stem}.png  (page {page})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
