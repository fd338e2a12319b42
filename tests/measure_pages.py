"""Measure what a reader meets on each built page; print a Markdown table.

    python tests/measure_pages.py [_build/html]

For every chapter: visible code lines and visible assert lines, figures with a numbered
caption or, for a widget's figure, the caption under it (of all figures), figures whose alt text is only a file path, code blocks that
scroll sideways at the test window's width, and the smallest text in any figure in CSS
pixels as displayed (against the page's body text and small print). Needs Chromium.
The same script (tests/reading_metrics.js) backs the reading checks of test_browser.py.
"""
import asyncio
import functools
import http.server
import json
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from chromium import chromium, find_chromium  # noqa: E402
from test_browser import open_page  # noqa: E402

METRICS = (Path(__file__).parent / "reading_metrics.js").read_text()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def measure(html_dir):
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(html_dir)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    rows = {}
    try:
        with chromium(find_chromium()) as port:
            pages = sorted((Path(html_dir) / "book").glob("*.html"))
            pages += sorted((Path(html_dir) / "book" / "api").glob("*.html"))
            for page in pages:
                name = page.relative_to(Path(html_dir) / "book").with_suffix("").as_posix()
                rows[name] = asyncio.run(open_page(port, f"{base}book/{name}.html", METRICS))
    finally:
        server.shutdown()
    return rows


def table(rows):
    lines = ["| page | code lines shown (+ folded) | assert lines shown | captioned figures | path alt text | "
             "overflowing blocks | smallest figure text (px) |",
             "|---|---|---|---|---|---|---|"]
    for name, r in rows.items():
        figures = r["figures"]
        sizes = [f["smallestTextPx"] for f in figures if f["smallestTextPx"]]
        smallest = (f"{min(sizes):.1f} (small print {r['smallPrintPx']:.1f})"
                    if sizes else "no figure")
        lines.append(
            f"| {name} | {r['codeLines']} (+{r.get('foldedLines', 0)}) | {r['assertLines']} | "
            f"{sum(bool(f['number'] or (f['widget'] and f['caption'])) for f in figures)}"
            f"/{len(figures)} | "
            f"{sum(f['altIsPath'] for f in figures)} | {len(r['overflowing'])} | {smallest} |")
    return "\n".join(lines)


if __name__ == "__main__":
    folders = [a for a in sys.argv[1:] if not a.startswith("--")]
    html = Path(folders[0]) if folders else Path(__file__).parent.parent / "_build/html"
    rows = measure(html)
    if "--json" in sys.argv:
        print(json.dumps(rows, indent=1))
    print(table(rows))
