"""The book builds from a clean _build with -W --keep-going, and that build is strict.

The last test proves the strictness: a copy of the book with a broken cross-reference
and a notebook left out of the table of contents must fail to build.
"""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

from conftest import ROOT, chapters, toc_files


def test_book_builds_without_warnings(built_book):
    log = built_book.stdout + built_book.stderr
    assert built_book.returncode == 0, "make book failed:\n" + log[-6000:]
    assert "build succeeded" in log
    assert "WARNING" not in log, log[-6000:]


def test_every_chapter_is_in_the_toc_and_built(html_dir):
    listed = toc_files()
    notebooks = [name for name in listed if (ROOT / f"{name}.ipynb").is_file()]
    on_disk = [f"book/{path.stem}" for path in chapters()]
    assert sorted(notebooks) == sorted(on_disk) and len(set(listed)) == len(listed), \
        "_toc.yml and book/*.ipynb disagree"
    for name in listed:
        assert (html_dir / f"{name}.html").is_file(), name


def test_the_api_reference_documents_every_public_name(html_dir):
    """Every name of lossbook.__all__ has an entry (an anchor) on an API reference page."""
    import lossbook

    pages = [name for name in toc_files() if name.startswith("book/api/")]
    assert "book/api/index" in pages and len(pages) > 5
    html = "".join((html_dir / f"{name}.html").read_text() for name in pages)
    anchors = set(re.findall(r'<dt class="sig[^"]*" id="([^"]+)"', html))
    anchors |= set(re.findall(r'id="module-([^"]+)"', html))
    missing = [name for name in lossbook.__all__
               if f"lossbook.{name}" not in anchors]
    assert not missing, f"not in the API reference: {missing}"
    # entries are under the names a reader imports, so {py:class}`~lossbook.HuberLoss` links
    assert 'id="lossbook.HuberLoss"' in (html_dir / "book" / "api" / "regression.html").read_text()


def test_notebooks_store_outputs_and_widget_state():
    for path in chapters():
        nb = nbformat.read(path, as_version=4)
        code = [cell for cell in nb.cells if cell.cell_type == "code"]
        assert all(cell.get("execution_count") for cell in code), f"{path.name} is not executed"
        state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
        for cell in code:
            shows_widget = any("application/vnd.jupyter.widget-view+json" in out.get("data", {})
                               for out in cell.outputs)
            if shows_widget:
                assert state.get("state"), \
                    f"{path.name} stores no widget state (run `make notebooks`)"
                assert "nbval-ignore-output" in cell.metadata.get("tags", []), \
                    f"{path.name}: a widget cell must be tagged nbval-ignore-output"


def test_a_broken_reference_or_a_stray_notebook_fails_the_build(tmp_path):
    shutil.copy(ROOT / "_config.yml", tmp_path)
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/index\n")
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "index.md").write_text("# Index\n\nSee {ref}`no-such-label`.\n")
    stray = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Stray")])
    nbformat.write(stray, tmp_path / "book" / "stray.ipynb")
    # The real config points at the fetched widget scripts, the site's own files and the
    # API reference's Sphinx extension.
    widget_assets = tmp_path / "_build" / "widget-assets"
    widget_assets.mkdir(parents=True)
    for folder in ("site", "_ext"):
        shutil.copytree(ROOT / "book" / folder, tmp_path / "book" / folder)
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run(
        [str(jupyter_book), "build", str(tmp_path), "--path-output", str(tmp_path),
         "-W", "--keep-going"], capture_output=True, text=True)
    log = result.stdout + result.stderr
    assert result.returncode != 0, log[-3000:]
    assert "no-such-label" in log
    assert "stray" in log


def _markdown(path):
    nb = nbformat.read(path, as_version=4)
    return "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")


def test_issue_12_wording_stays_fixed():
    """Three prose corrections of issue 12 that no computation checks: full-batch gradient
    descent is not called SGD (the class is GradientDescent), chapter 03 cites its source
    notebook as a public notebook, and chapter 03's m means the margin only."""
    for path in chapters():
        nb = nbformat.read(path, as_version=4)
        text = "\n".join(cell.source for cell in nb.cells)
        assert not re.search(r"\bSGD\b", text), f"{path.name} calls gradient descent SGD"
        assert "commissioned" not in text, path.name
    text = _markdown(ROOT / "book" / "03_classification.ipynb")
    assert "Simonelli" in text
    spans = re.findall(r"\$\$.*?\$\$|\$[^$\n]+\$", text, flags=re.S)
    with_m = [s for s in spans if re.search(r"(?<![\\A-Za-z_{])m(?![A-Za-z])", s)]
    assert with_m, "the margin m is no longer written as m"
    definitions = re.findall(r"\$m\$ (?:is|means|denotes) ([^.;]*)", text)
    assert len(definitions) == 1 and "margin" in definitions[0], definitions
    assert not [s for s in with_m if re.search(r"(?<![\\A-Za-z_{])m\s*=", s)], with_m
