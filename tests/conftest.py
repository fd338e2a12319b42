"""Shared fixtures: the book is built once per test session, from a clean output folder."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"


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


def chapters():
    """Every notebook in book/, in name order."""
    return sorted((ROOT / "book").glob("*.ipynb"))
