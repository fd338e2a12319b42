"""Shared fixtures and settings: hypothesis profiles, the book marker, the book built once.

Tests that need the book's toolchain (matplotlib, ipywidgets, Jupyter Book, Chromium) are
marked ``book``; ``make test-lib`` runs the others in a venv with only numpy, pytest and
hypothesis (requirements-lib.txt), where the book's test files are not even collected.
"""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"

# The test files that need the book's toolchain; every test in them is marked `book`.
BOOK_FILES = {"test_book.py", "test_browser.py", "test_widgets.py", "test_recording.py",
              "test_pdf.py", "test_lab.py", "measure_pages.py", "chromium.py"}
collect_ignore = []
if any(importlib.util.find_spec(m) is None for m in ("matplotlib", "ipywidgets", "nbformat")):
    collect_ignore = sorted(BOOK_FILES)

try:
    from hypothesis import HealthCheck, settings
except ImportError:  # pragma: no cover - hypothesis is in both requirements files
    pass
else:
    # `make test`: a fixed, deterministic budget. A deep run, by hand:
    #   HYPOTHESIS_PROFILE=deep .venv/bin/python -m pytest tests/test_properties.py
    settings.register_profile("lossbook", max_examples=5, deadline=None, derandomize=True,
                              database=None, suppress_health_check=[HealthCheck.too_slow])
    settings.register_profile("deep", max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", 300)),
                              deadline=None,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "lossbook"))


def pytest_configure(config):
    config.addinivalue_line("markers", "book: needs the book's toolchain (notebooks, build, "
                                       "browser, widgets); `make test-lib` leaves these out")


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = Path(str(item.fspath))
        if path.name in BOOK_FILES or path.suffix == ".ipynb" or "book" in path.parts[-2:-1]:
            item.add_marker(pytest.mark.book)


@pytest.fixture(scope="session")
def built_book():
    """Run `make book` (a clean build with -W --keep-going) in this venv; return the result.

    `make book` also fetches the widget scripts from npm on first use. Tests that need
    the pages fail if the build did, with its output in the message.
    """
    result = subprocess.run(
        ["make", "--no-print-directory", f"VENV={sys.prefix}", "book"],
        cwd=ROOT, capture_output=True, text=True)
    return result


@pytest.fixture(scope="session")
def html_dir(built_book):
    if built_book.returncode != 0:
        pytest.fail("the book did not build:\n" + built_book.stdout[-4000:] + built_book.stderr[-4000:])
    return HTML


def toc_files():
    """Every page of _toc.yml, in order: the root, then each part's chapters and sections."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", [toc]):
        for entry in part["chapters"]:
            files += [entry["file"]] + [section["file"] for section in entry.get("sections", [])]
    return files


def chapters():
    """Every notebook in book/, in name order."""
    return sorted((ROOT / "book").glob("*.ipynb"))
