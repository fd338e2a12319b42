"""Every built chapter, opened in headless Chromium: math typeset, figures loaded, widgets
shown, and no request leaving the machine. A screenshot of each page goes to
_build/screenshots/.

Chromium is driven over the DevTools protocol (tornado's websocket client, which the
notebook stack already installs). Every request the page makes is recorded from the
protocol's Network events; besides, the host resolver maps every name except localhost
to nothing, so a request that did try to leave would fail instead of succeeding quietly.

Without Chromium (the Debian package ``chromium``; .ci/run installs it) the test is
skipped with that reason, shown in the summary (pytest runs with -rs).
"""
import asyncio
import base64
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from tornado.websocket import websocket_connect

from conftest import ROOT, chapters

SCREENSHOTS = ROOT / "_build" / "screenshots"
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
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


def find_chromium():
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


class DevTools:
    """The few DevTools-protocol calls the test needs, with the events that arrive meanwhile."""

    def __init__(self, socket):
        self.socket = socket
        self.events = []
        self._id = 0

    async def call(self, method, timeout=60, **params):
        self._id += 1
        await self.socket.write_message(json.dumps({"id": self._id, "method": method,
                                                    "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = await asyncio.wait_for(self.socket.read_message(),
                                             max(deadline - time.monotonic(), 0.1))
            if message is None:
                raise RuntimeError(f"Chromium closed the connection during {method}")
            data = json.loads(message)
            if data.get("id") == self._id:
                if "error" in data:
                    raise RuntimeError(f"{method}: {data['error']}")
                return data["result"]
            self.events.append(data)

    async def wait_for(self, event, timeout=60):
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == event for e in self.events):
            message = await asyncio.wait_for(self.socket.read_message(),
                                             max(deadline - time.monotonic(), 0.1))
            if message is None:
                raise RuntimeError(f"Chromium closed the connection waiting for {event}")
            self.events.append(json.loads(message))


@pytest.fixture(scope="module")
def browser():
    executable = find_chromium()
    if executable is None:
        pytest.skip("Chromium is not installed (Debian package `chromium`; .ci/run installs it), "
                    "so the built pages were not opened in a browser")
    profile = tempfile.mkdtemp(prefix="lossbook-chromium-")
    process = subprocess.Popen(
        [executable, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--disable-quic", "--disable-extensions",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
         "--allow-file-access-from-files", "--remote-debugging-port=0",
         f"--user-data-dir={profile}", "--window-size=1200,900", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = Path(profile) / "DevToolsActivePort"
        for _ in range(300):
            if port_file.is_file() and port_file.read_text().count("\n") >= 1:
                break
            if process.poll() is not None:
                pytest.fail(f"Chromium exited with code {process.returncode} at start-up")
            time.sleep(0.1)
        else:
            pytest.fail("Chromium did not open its DevTools port within 30 s")
        port = int(port_file.read_text().split("\n")[0])
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(profile, ignore_errors=True)


async def open_page(port, url, screenshot):
    new_tab = urllib.request.Request(f"http://127.0.0.1:{port}/json/new?about:blank", method="PUT")
    with urllib.request.urlopen(new_tab) as response:
        target = json.load(response)
    socket = await websocket_connect(target["webSocketDebuggerUrl"], max_message_size=1 << 28)
    tools = DevTools(socket)
    try:
        await tools.call("Network.enable")
        await tools.call("Page.enable")
        await tools.call("Runtime.enable")
        await tools.call("Emulation.setDeviceMetricsOverride", width=1200, height=900,
                         deviceScaleFactor=1, mobile=False)
        await tools.call("Page.navigate", url=url)
        await tools.wait_for("Page.loadEventFired")
        result = await tools.call("Runtime.evaluate", expression=CHECK_PAGE, awaitPromise=True,
                                  returnByValue=True, timeout=90)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page check failed: {result['exceptionDetails']}")
        report = result["result"]["value"]
        metrics = await tools.call("Page.getLayoutMetrics")
        height = min(int(metrics["cssContentSize"]["height"]), 12000)
        shot = await tools.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                                clip={"x": 0, "y": 0, "width": 1200, "height": height, "scale": 1})
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        report["requests"] = [e["params"]["request"]["url"] for e in tools.events
                              if e.get("method") == "Network.requestWillBeSent"]
        urls = {e["params"]["requestId"]: e["params"]["request"]["url"] for e in tools.events
                if e.get("method") == "Network.requestWillBeSent"}
        report["failed"] = [(urls.get(e["params"]["requestId"]), e["params"].get("errorText"))
                            for e in tools.events if e.get("method") == "Network.loadingFailed"]
        return report
    finally:
        socket.close()
        urllib.request.urlopen(f"http://127.0.0.1:{port}/json/close/{target['id']}").close()


def image_outputs(path):
    """How many figures the notebook's stored outputs hold."""
    nb = nbformat.read(path, as_version=4)
    return sum(1 for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
               if {"image/svg+xml", "image/png"} & set(out.get("data", {})))


@pytest.mark.parametrize("notebook", [pytest.param(p, id=p.stem) for p in chapters()])
def test_chapter_renders_offline(browser, html_dir, notebook):
    page = html_dir / "book" / f"{notebook.stem}.html"
    assert page.is_file(), f"{page} was not built"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    screenshot = SCREENSHOTS / f"{notebook.stem}.png"
    report = asyncio.run(open_page(browser, page.as_uri(), screenshot))

    leaving = [url for url in report["requests"] if not url.startswith(LOCAL_SCHEMES)]
    assert not leaving, f"requests left the machine: {leaving}"
    assert not report["failed"], f"requests failed (a missing local file?): {report['failed']}"

    assert report["mathjax"], "MathJax did not load"
    assert report["math"] > 0 and report["mjx"] >= report["math"]
    assert not report["untypeset"], f"math left untypeset: {report['untypeset']}"
    raw = RAW_TEX.findall(report["text"])
    assert not raw, f"raw TeX in the page text: {raw[:5]}"

    figures = [img for img in report["images"] if "_images/" in img["src"]]
    assert len(figures) >= image_outputs(notebook), (figures, image_outputs(notebook))
    broken = [img["src"] for img in report["images"] if not (img["complete"] and img["width"] > 0)]
    assert not broken, f"images not loaded: {broken}"

    assert report["views"] > 0, "the chapter shows no widget"
    assert report["widgets"] > 0 and report["controls"] > 0, "saved widget state was not rendered"
    assert report["widgetImages"] > 0, "the explorer's figure was not rendered from saved state"
    assert screenshot.stat().st_size > 10_000
