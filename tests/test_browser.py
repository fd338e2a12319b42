"""Every built chapter, opened in headless Chromium: math typeset, figures loaded, widgets
shown and live, and no request leaving the machine. A screenshot of each page goes to
_build/screenshots/.

The pages are served from 127.0.0.1 by a local HTTP server. Every other request is
blocked twice over: Chromium sends everything except loopback to a proxy on a closed
port, and its host resolver maps every name except localhost to nothing. The tests also
record every request the page makes and fail on any that is not to the local server.

The reading test (issue 16) checks every page of the book, the API reference included:
captions, alt text, text size in figures, no block wider than its box, no visible checks.

The widget test moves every visible control of every widget (each option of a drop-down,
and then the controls that option shows; one step of each slider; each checkbox) and
checks that the figure changes and that the new figure was drawn for the control's new
value: each recorded figure carries the readouts it was drawn for as its title.

Chromium is driven over the DevTools protocol (tests/chromium.py).

Without Chromium (the Debian package ``chromium``; .ci/run installs it) the test is
skipped with that reason, shown in the summary (pytest runs with -rs).
"""
import asyncio
import base64
import functools
import http.server
import json
import re
import threading

import nbformat
import pytest

from chromium import chromium, find_chromium, open_tab
from conftest import ROOT, chapters

SCREENSHOTS = ROOT / "_build" / "screenshots"
LOCAL_SCHEMES = ("data:", "blob:", "about:")
# Raw TeX left in the visible text means MathJax did not typeset it.
RAW_TEX = re.compile(r"\\\(|\\\)|\\\[|\\\]|\$\$|\\frac|\\begin\{|\\ell|\$[^$\s][^$]*\$")

CHECK_PAGE = r"""
(async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  for (let i = 0; i < 200 && !(window.MathJax && MathJax.startup && MathJax.startup.promise); i++)
    await sleep(50);
  if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
  const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
  for (let i = 0; i < 200 && views.length &&
       document.querySelectorAll('.widget-output img, .jp-OutputArea img').length === 0; i++)
    await sleep(50);
  const main = document.querySelector('main') || document.body;
  const images = [...main.querySelectorAll('img')];
  await Promise.all(images.map(img => img.complete ? null :
      new Promise(r => { img.onload = r; img.onerror = r; })));
  const clone = main.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, mjx-container, mjx-assistive-mml, textarea')
       .forEach(e => e.remove());
  const maths = [...main.querySelectorAll('.math')];
  return {
    mathjax: window.MathJax ? MathJax.version : null,
    math: maths.length,
    untypeset: maths.filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 80)),
    mjx: main.querySelectorAll('mjx-container').length,
    text: clone.textContent,
    images: images.map(i => ({src: i.getAttribute('src').slice(0, 80), complete: i.complete,
                              width: i.naturalWidth})),
    views: views.length,
    widgets: main.querySelectorAll('.jupyter-widgets').length,
    controls: main.querySelectorAll('.widget-dropdown, .widget-slider, .widget-checkbox').length,
    widgetImages: main.querySelectorAll('.widget-output img, .jp-OutputArea img').length,
  };
})()
"""


@pytest.fixture(scope="module")
def browser():
    executable = find_chromium()
    if executable is None:
        pytest.skip("Chromium is not installed (Debian package `chromium`; .ci/run installs it), "
                    "so the built pages were not opened in a browser")
    # loopback bypasses a proxy: everything else goes to a closed port and fails
    with chromium(executable, extra=("--proxy-server=http://127.0.0.1:9",)) as port:
        yield port


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site(html_dir):
    """The built book served on 127.0.0.1 (a free port); yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


async def open_page(port, url, script, screenshot=None, timeout=90):
    """Open ``url`` in a new tab, run ``script`` (a promise) there; return its value.

    The value gains ``requests`` (every URL the page asked for), ``failed`` (requests that
    failed, with the reason) and ``exceptions`` (uncaught JavaScript errors).
    """
    tools, close = await open_tab(port)
    try:
        await tools.call("Page.navigate", url=url)
        await tools.wait_for("Page.loadEventFired")
        report = await tools.evaluate(script, timeout=timeout)
        if screenshot is not None:
            metrics = await tools.call("Page.getLayoutMetrics")
            height = min(int(metrics["cssContentSize"]["height"]), 12000)
            shot = await tools.call("Page.captureScreenshot", format="png",
                                    captureBeyondViewport=True,
                                    clip={"x": 0, "y": 0, "width": 1200, "height": height,
                                          "scale": 1})
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        report["requests"] = tools.requests()
        urls = {e["params"]["requestId"]: e["params"]["request"]["url"] for e in tools.events
                if e.get("method") == "Network.requestWillBeSent"}
        report["failed"] = [(urls.get(e["params"]["requestId"]), e["params"].get("errorText"))
                            for e in tools.events if e.get("method") == "Network.loadingFailed"]
        report["exceptions"] = [text[:300] for text in tools.console_errors()]
        return report
    finally:
        await close()


# Jupyter Book 1.0.4 writes sphinx-thebe's configuration script twice on every page, so
# the second `const THEBE_JS_URL` is a SyntaxError. Nothing on the page uses thebe (the
# launch buttons are off), and the script's URL is never requested.
KNOWN_EXCEPTIONS = ("SyntaxError: Identifier 'THEBE_JS_URL' has already been declared",)


def check_requests(report, base):
    leaving = [url for url in report["requests"]
               if not (url.startswith(base) or url.startswith(LOCAL_SCHEMES))]
    assert not leaving, f"requests left the machine: {leaving}"
    assert not report["failed"], f"requests failed (a missing local file?): {report['failed']}"
    errors = [e for e in report["exceptions"] if not e.startswith(KNOWN_EXCEPTIONS)]
    assert not errors, f"the page raised: {errors}"


def image_outputs(path):
    """How many figures the notebook's stored outputs hold."""
    nb = nbformat.read(path, as_version=4)
    return sum(1 for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
               if {"image/svg+xml", "image/png"} & set(out.get("data", {})))


def shows_widgets(path):
    nb = nbformat.read(path, as_version=4)
    return any("application/vnd.jupyter.widget-view+json" in out.get("data", {})
               for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs)


@pytest.mark.parametrize("notebook", [pytest.param(p, id=p.stem) for p in chapters()])
def test_chapter_renders_offline(browser, site, notebook):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    screenshot = SCREENSHOTS / f"{notebook.stem}.png"
    report = asyncio.run(open_page(browser, f"{site}book/{notebook.stem}.html", CHECK_PAGE,
                                   screenshot))
    check_requests(report, site)

    assert report["mathjax"], "MathJax did not load"
    assert report["math"] > 0 and report["mjx"] >= report["math"]
    assert not report["untypeset"], f"math left untypeset: {report['untypeset']}"
    raw = RAW_TEX.findall(report["text"])
    assert not raw, f"raw TeX in the page text: {raw[:5]}"

    figures = [img for img in report["images"] if "_images/" in img["src"]]
    assert len(figures) >= image_outputs(notebook), (figures, image_outputs(notebook))
    broken = [img["src"] for img in report["images"] if not (img["complete"] and img["width"] > 0)]
    assert not broken, f"images not loaded: {broken}"

    if shows_widgets(notebook):
        assert report["widgets"] > 0 and report["controls"] > 0, "saved widget state was not rendered"
        assert report["widgetImages"] > 0, "the widget's figure was not rendered from saved state"
    assert screenshot.stat().st_size > 10_000


EXERCISE_WIDGETS = r"""
(async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const until = async (test, ms) => {
    for (let t = 0; t < ms; t += 25) { const v = test(); if (v) return v; await sleep(25); }
    return test();
  };
  const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
  await until(() => window.lossbookLive, 20000);
  if (!window.lossbookLive) return {error: 'live-widgets.js did not run'};
  await window.lossbookLive.ready;
  const roots = await until(() => {
    const r = [...document.querySelectorAll('.widget-subarea')];
    return r.length >= views.length && r.every(e => e.querySelector('.widget-output img')) && r;
  }, 20000);
  if (!roots) return {error: 'the widgets did not render'};
  const report = {liveMs: performance.now(), views: views.length, roots: roots.length,
                  live: lossbookLive.widgets.length, errors: lossbookLive.errors, actions: []};

  const shown = el => el.isConnected && el.offsetParent !== null &&
      getComputedStyle(el).visibility !== 'hidden';
  const controlsIn = root => [...root.querySelectorAll('.widget-slider, .widget-dropdown, .widget-checkbox')]
      .filter(shown);
  const title = img => {
    const src = img ? img.getAttribute('src') : '';
    const comma = src.indexOf(',');
    let svg = src.slice(comma + 1);
    svg = src.slice(0, comma).endsWith(';base64') ? atob(svg) : decodeURIComponent(svg);
    const m = svg.match(/<title>([^<]*)<\/title>/);
    const text = document.createElement('textarea');
    text.innerHTML = m ? m[1] : '';
    return text.value;
  };
  const labelOf = el => {
    const label = el.querySelector('.widget-label');
    if (label && label.textContent.trim()) return label.textContent.trim();
    const basic = el.querySelector('.widget-label-basic span');
    return basic ? basic.textContent.trim() : '';
  };
  // (the slider's readout writes a minus sign, U+2212, where Python's format writes "-")
  const readoutOf = el => {
    if (el.classList.contains('widget-slider'))
      return el.querySelector('.widget-readout').textContent.trim().replace(/\u2212/g, '-');
    if (el.classList.contains('widget-dropdown')) {
      const select = el.querySelector('select');
      return select.options[select.selectedIndex].textContent.trim();
    }
    return el.querySelector('input').checked ? 'on' : 'off';
  };
  const disabled = el => !!el.querySelector('select:disabled, input:disabled, [disabled]');
  const moves = el => {
    if (el.classList.contains('widget-dropdown')) {
      const select = el.querySelector('select');
      const start = select.selectedIndex;
      return [...select.options].map((_, i) => i).filter(i => i !== start).concat([start])
        .map(i => () => { select.selectedIndex = i;
                          select.dispatchEvent(new Event('change', {bubbles: true})); });
    }
    if (el.classList.contains('widget-checkbox')) {
      const box = el.querySelector('input');
      return [() => box.click(), () => box.click()];
    }
    const handle = el.querySelector('.noUi-handle');
    const atMax = () => handle.getAttribute('aria-valuenow') === handle.getAttribute('aria-valuemax');
    const press = key => () => { handle.focus();
      handle.dispatchEvent(new KeyboardEvent('keydown', {key, bubbles: true})); };
    return atMax() ? [press('ArrowLeft'), press('ArrowRight')] : [press('ArrowRight'), press('ArrowLeft')];
  };

  const seen = new Set();
  const exercise = async (root, el) => {
    seen.add(el);
    for (const move of moves(el)) {
      if (report.actions.length > 400) return;
      const figure = root.querySelector('.widget-output img');
      const before = figure ? figure.getAttribute('src') : null;
      const readoutBefore = readoutOf(el);
      move();
      const changed = await until(() => {
        const img = root.querySelector('.widget-output img');
        return img && img.getAttribute('src') !== before;
      }, 5000);
      // the views of newly shown controls render asynchronously: wait until they settle
      let last = '';
      for (let t = 0; t < 40; t++) {
        await sleep(50);
        const now = controlsIn(root).map(c => labelOf(c)).join('|');
        if (now === last) break;
        last = now;
      }
      const name = labelOf(el), readout = readoutOf(el);
      report.actions.push({control: name, from: readoutBefore, to: readout, changed: !!changed,
                           disabled: disabled(el),
                           expected: `${name} = ${readout}`,
                           title: title(root.querySelector('.widget-output img'))});
      for (const other of controlsIn(root)) if (!seen.has(other)) await exercise(root, other);
    }
  };
  for (const root of roots) {
    report.actions.push({root: true, controls: controlsIn(root).length});
    // (a drop-down that shows other controls re-renders them: take the ones shown now)
    for (let next; (next = controlsIn(root).find(el => !seen.has(el))); )
      await exercise(root, next);
  }
  report.missing = lossbookLive.widgets.reduce((n, w) => n + w.missing, 0);
  report.exercised = seen.size;
  return report;
})()
"""

WIDGET_REPORT = ROOT / "_build" / "widget-report.json"


@pytest.mark.parametrize("notebook", [pytest.param(p, id=p.stem) for p in chapters()
                                      if shows_widgets(p)])
def test_every_widget_control_responds(browser, site, notebook):
    report = asyncio.run(open_page(browser, f"{site}book/{notebook.stem}.html",
                                   EXERCISE_WIDGETS, timeout=300))
    check_requests(report, site)
    assert "error" not in report, report.get("error")
    assert not report["errors"], f"recorded states could not be read: {report['errors']}"
    assert report["live"] == report["views"] == report["roots"], \
        f"{report['views']} widgets on the page, {report['live']} live"
    roots = [a for a in report["actions"] if a.get("root")]
    actions = [a for a in report["actions"] if not a.get("root")]
    assert all(r["controls"] > 0 for r in roots), "a widget shows no control"
    assert len(actions) < 400, "more controls than the test's budget"
    dead = [a for a in actions if not a["changed"] or a["disabled"]]
    assert not dead, f"controls that changed nothing: {dead[:5]}"
    disagree = [a for a in actions if a["expected"] not in a["title"]]
    assert not disagree, f"figures not drawn for the control's value: {disagree[:5]}"
    assert report["missing"] == 0, "a control reached a position with no recorded state"
    # a record for the closing note: how many controls answered, and when the page was live
    summary = json.loads(WIDGET_REPORT.read_text()) if WIDGET_REPORT.is_file() else {}
    summary[notebook.stem] = {"visible_at_load": sum(r["controls"] for r in roots),
                              "controls_moved": report["exercised"],
                              "moves": len(actions), "widgets": report["live"],
                              "live_after_ms": round(report["liveMs"])}
    WIDGET_REPORT.write_text(json.dumps(summary, indent=1, sort_keys=True))


READING = (ROOT / "tests" / "reading_metrics.js").read_text()


def book_pages():
    """Every page of the book that a reader reads: the notebooks and the API reference."""
    pages = [f"book/{p.stem}" for p in chapters()]
    pages += [f"book/api/{p.stem}" for p in sorted((ROOT / "book" / "api").glob("*.md"))]
    return pages


@pytest.mark.parametrize("page", book_pages())
def test_page_reads_like_a_book(browser, site, page):
    """Issue 16's reading checks, at the test window's width (1200 px): every figure has a
    caption (a numbered one, or a widget's caption under its live figure) and alt text that
    describes it, no text in a figure is smaller than the page's small print, no code or
    output block is wider than its box, and no check-only code is left visible."""
    report = asyncio.run(open_page(browser, f"{site}{page}.html", READING))
    check_requests(report, site)
    figures = report["figures"]
    uncaptioned = [f["src"] for f in figures
                   if not (f["caption"] and (f["number"] or f["widget"]))]
    assert not uncaptioned, f"figures without a numbered caption: {uncaptioned}"
    path_alt = [(f["src"], f["alt"]) for f in figures if f["altIsPath"]]
    assert not path_alt, f"figures whose alt text is a file path: {path_alt}"
    small = [(f["src"], round(f["smallestTextPx"], 1)) for f in figures
             if f["smallestTextPx"] is not None
             and f["smallestTextPx"] < report["smallPrintPx"] - 0.05]
    assert not small, (f"figure text below the page's small print "
                       f"({report['smallPrintPx']} px): {small}")
    assert not report["overflowing"], f"blocks wider than their box: {report['overflowing']}"
    assert report["assertLines"] == 0, "check-only code is visible (tag it remove-input)"
