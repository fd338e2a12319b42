"""`make pdf`: the whole book as one PDF, built offline by printing the one-page HTML build
in headless Chromium. Skipped where Chromium is missing (as the page tests are)."""
import shutil
import subprocess
import sys
import unicodedata

import nbformat
import pytest

from conftest import ROOT, toc_files


def test_make_pdf_holds_every_chapter():
    if shutil.which("chromium") is None:
        pytest.skip("Chromium is not installed (Debian package `chromium`), so `make pdf` "
                    "cannot print the book")
    pypdf = pytest.importorskip("pypdf")
    result = subprocess.run(["make", "--no-print-directory", f"VENV={sys.prefix}", "pdf"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "WARNING" not in result.stdout + result.stderr
    reader = pypdf.PdfReader(ROOT / "_build" / "lossbook.pdf")
    # (NFKC undoes the typesetter's ligatures: "ﬁ" is "fi")
    text = unicodedata.normalize("NFKC", "\n".join(page.extract_text() for page in reader.pages))
    assert len(reader.pages) > 40
    for name in toc_files():
        if not (ROOT / f"{name}.ipynb").is_file():
            continue                                      # the API reference's pages
        notebook = nbformat.read(ROOT / f"{name}.ipynb", as_version=4)
        title = next(line[2:].strip() for cell in notebook.cells if cell.cell_type == "markdown"
                     for line in cell.source.splitlines() if line.startswith("# "))
        assert title.split(":")[0] in text, f"{name} is not in the PDF"
    # the math was typeset before printing: no TeX source left
    assert "\\frac" not in text and "\\ell" not in text
