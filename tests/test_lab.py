"""The chapters run in JupyterLab as a reader runs them: `make lab`, then the URL it prints
opened in a browser, every cell run, the widgets moved with a live kernel.

The server is started with `make lab` itself, with temporary Jupyter config, data, runtime
and IPython folders: the config there turns autosave off, keeps checkpoints in the temporary
folder, binds a free port on 127.0.0.1 and exposes the application object to the page
(window.jupyterapp); the token is the one the server makes and prints. Each chapter
opens in a new tab of headless Chromium (tests/chromium.py); the page script
tests/lab_driver.js clears the outputs, runs every cell, moves every widget control it finds
(a slider's handle with a real arrow-key press, a drop-down's choice, a checkbox's click) and
reports every error output, in the cells and inside Output widgets, and every error or
stderr message the kernel sent meanwhile (an exception in a widget callback outside an Output
widget is shown nowhere on the page, but ipywidgets sends its traceback). A sentinel cell
added to the explorer in the page checks that both kinds of error are seen.

Afterwards the chapter's kernel is shut down, the server is stopped by its process id (and
any kernel still alive by its own), and the notebook file is restored byte for byte if
JupyterLab wrote it (it must not: the test fails then too).

Without JupyterLab or Chromium the test is skipped with that reason, shown in the summary
(pytest runs with -rs). Every chapter runs under the marker ``lab``: ``pytest -m lab`` runs
these alone, ``pytest -m "not lab"`` leaves them out.
"""
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import psutil
import nbformat
import pytest

from chromium import chromium, find_chromium, open_tab, stop
from conftest import ROOT, chapters
from lossbook import registry

pytestmark = pytest.mark.lab

DRIVER = Path(__file__).with_name("lab_driver.js")
EXPLORER = "07_explorer"
LOSSES = set(registry.names())
LOCAL_SCHEMES = ("data:", "blob:", "about:")
START_TIMEOUT = 120      # s for `make lab` to print its URL
RUN_TIMEOUT = 300        # s for one chapter's cells
FIGURE_TIMEOUT = 30      # s for a figure to follow a control

# JupyterLab's own settings for the test: no autosave, every cell kept in the page
# (windowing would detach the cells scrolled out of view, and their widgets with them).
USER_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}

# When a notebook opens, the widget manager asks the kernel for its widgets over a
# `jupyter.widget.control` comm that the page opens; a kernel that has not imported
# ipywidgets yet has no such target, logs so, then warns "No such comm" for each message the
# page sends on that comm, and the manager falls back to the notebook's saved state. Harmless
# (jupyter-widgets/ipywidgets#3525, a maintainer's answer). The first message may come before
# the page listens, so each is ignored on its own: the control target's, and "No such comm"
# for a comm the kernel never opened (a widget's comm is always the kernel's).
CONTROL_COMM_MISSING = "stderr: No such comm target registered: jupyter.widget.control\n"
NO_SUCH_COMM = re.compile(r"stderr: No such comm: ([0-9a-f-]+)\n")


def kernel_errors(heard):
    """What the kernel sent on stderr or as errors, less the harmless control-comm chatter."""
    def harmless(message):
        missing = NO_SUCH_COMM.match(message)
        return (message.startswith(CONTROL_COMM_MISSING)
                or (missing is not None and missing.group(1) not in heard["kernelComms"]))
    return [m for m in heard["messages"] if not harmless(m)]


WHO = """
import json as _json, os as _os, sys as _sys, lossbook as _lb
print(_json.dumps({"lossbook": _lb.__file__, "prefix": _sys.prefix, "pid": _os.getpid()}))
del _json, _os, _sys, _lb
"""
# A cell added to the open explorer (in the page only) whose slider raises twice: once
# inside an Output widget, once in a plain observer. The checks must see both.
SENTINEL = """\
import ipywidgets as widgets
sentinel_out = widgets.Output()
sentinel = widgets.IntSlider(description="sentinel")
def inside(change):
    with sentinel_out:
        raise RuntimeError("sentinel inside an Output widget")
def outside(change):
    raise RuntimeError("sentinel in a plain observer")
sentinel.observe(inside, "value")
sentinel.observe(outside, "value")
widgets.VBox([sentinel, sentinel_out])"""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Lab:
    """A JupyterLab server started by `make lab`: its URL, and its processes by id."""

    def __init__(self):
        self.url = None
        self.server = None          # psutil.Process of the server
        self.kernels = []           # psutil.Process of every kernel a chapter reported

    def page(self, notebook):
        """The URL of a chapter, in a workspace of its own reset on load."""
        base, token = self.url.split("/lab?token=")
        return f"{base}/lab/workspaces/{notebook.stem}/tree/{notebook.name}?reset&token={token}"

    def stop(self):
        """SIGTERM to the server (it shuts its kernels down), then any kernel left, by id.

        psutil checks a process's start time, so a reused id is never signalled.
        """
        processes = list(self.kernels)
        if self.server is not None and self.server.is_running():
            processes += self.server.children(recursive=True)
            processes.insert(0, self.server)
        for process in processes:
            try:
                if process.is_running():
                    process.terminate()
                    process.wait(timeout=30)
            except psutil.NoSuchProcess:
                pass
            except psutil.TimeoutExpired:
                process.kill()


@pytest.fixture(scope="module")
def lab():
    """`make lab` with temporary Jupyter folders; stopped by process id afterwards."""
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        pytest.skip("JupyterLab is not installed in this environment (requirements.txt pins it), "
                    "so the chapters were not run in JupyterLab")
    if find_chromium() is None:
        pytest.skip("Chromium is not installed (Debian package `chromium`; .ci/run installs it), "
                    "so the chapters were not run in JupyterLab")
    work = Path(tempfile.mkdtemp(prefix="lossbook-lab-"))
    config = work / "config"
    for name, values in USER_SETTINGS.items():
        path = config / "lab" / "user-settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port = free_port()
    (config / "jupyter_server_config.json").write_text(json.dumps({
        "ServerApp": {"ip": "127.0.0.1", "port": port, "port_retries": 0, "open_browser": False},
        "FileCheckpoints": {"checkpoint_dir": str(work / "checkpoints")},
        "LabApp": {"expose_app_in_browser": True, "news_url": None,
                   "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"},
    }))
    # The reader's environment, less anything that would point Jupyter elsewhere; the
    # token is the one the server makes and prints.
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config), JUPYTER_DATA_DIR=str(work / "data"),
               JUPYTER_RUNTIME_DIR=str(work / "runtime"), IPYTHONDIR=str(work / "ipython"))
    for name in ("JUPYTER_TOKEN", "JUPYTER_PATH", "JUPYTER_CONFIG_PATH", "PYTHONPATH"):
        env.pop(name, None)
    log_path = work / "make-lab.log"
    lab = Lab()
    with open(log_path, "wb") as log:
        make = subprocess.Popen(["make", "--no-print-directory", f"VENV={sys.prefix}", "lab"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    try:
        url = re.compile(rf"http://127\.0\.0\.1:{port}/lab\?token=[0-9a-f]+")
        deadline = time.monotonic() + START_TIMEOUT
        while not (found := url.search(log_path.read_text(errors="replace"))):
            if make.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"`make lab` printed no URL to open within {START_TIMEOUT} s "
                            f"(exit code {make.poll()}):\n" + log_path.read_text()[-4000:])
            time.sleep(0.2)
        lab.url = found.group(0)
        servers = list((work / "runtime").glob("jpserver-*.json"))
        assert len(servers) == 1, servers
        lab.server = psutil.Process(json.loads(servers[0].read_text())["pid"])
        yield lab
    finally:
        lab.stop()
        stop(make)
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def lab_browser(lab):
    with chromium(find_chromium(), prefix="lossbook-lab-chromium") as port:
        yield port


@contextmanager
def untouched(notebook):
    """Restore the notebook byte for byte (and its time stamps) afterwards; say if it changed.

    Also removes the checkpoint folder if one appeared beside the chapters.
    """
    content, stat = notebook.read_bytes(), notebook.stat()
    entries = set(os.listdir(notebook.parent))
    changes = []
    try:
        yield changes
    finally:
        if notebook.read_bytes() != content:
            notebook.write_bytes(content)
            os.utime(notebook, ns=(stat.st_atime_ns, stat.st_mtime_ns))
            changes.append(f"JupyterLab wrote {notebook.name} (restored)")
        for name in set(os.listdir(notebook.parent)) - entries:
            if name == ".ipynb_checkpoints":
                shutil.rmtree(notebook.parent / name, ignore_errors=True)
            changes.append(f"{name} appeared beside the chapters")


async def call(tools, function, *args, timeout=60):
    arguments = ", ".join(json.dumps(a) for a in args)
    return await tools.evaluate(f"lossbookLab.{function}({arguments})", timeout=timeout)


def control_key(control):
    return (control["cell"], control["kind"], control["description"])


async def move(tools, control):
    """Move one control as a reader would; return what the figure did."""
    kind, ident = control["kind"], control["id"]
    before = control["figures"]
    state = await call(tools, "state", ident)
    if kind == "slider":
        assert await call(tools, "focusSlider", ident), "the slider's handle took no focus"
        if control["atMax"]:
            await tools.press("ArrowLeft", key_code=37)
        else:
            await tools.press("ArrowRight", key_code=39)
    elif kind == "dropdown":
        await call(tools, "choose", ident, (control["value"] + 1) % len(control["options"]))
    else:
        await call(tools, "toggle", ident)
    after = await call(tools, "figureChange", ident, before, FIGURE_TIMEOUT * 1000,
                       timeout=2 * FIGURE_TIMEOUT + 10)
    moved = await call(tools, "state", ident)
    return {"control": control, "changed": after is not None,
            "slider moved": kind != "slider" or moved != state}


async def drive(lab, port, notebook, sentinel=False):
    """Open one chapter, run it, move its widgets; return what was seen."""
    tools, close = await open_tab(port)
    report = {"moves": []}
    try:
        await tools.call("Page.navigate", url=lab.page(notebook))
        await tools.wait_for("Page.loadEventFired")
        await tools.call("Page.bringToFront")
        await tools.call("Emulation.setFocusEmulationEnabled", enabled=True)
        await tools.evaluate(DRIVER.read_text())
        report["opened"] = await call(tools, "open", notebook.name, timeout=150)
        who = json.loads(await call(tools, "inKernel", WHO))
        lab.kernels.append(psutil.Process(who["pid"]))
        report["kernel"] = who
        report["run"] = await call(tools, "runAll", RUN_TIMEOUT * 1000, timeout=RUN_TIMEOUT + 10)

        done = set()
        while True:
            pending = [c for c in await call(tools, "controls")
                       if control_key(c) not in done and not c["disabled"]
                       and not (c["kind"] == "dropdown" and len(c["options"]) < 2)]
            if not pending:
                break
            # Sliders and checkboxes first: a drop-down may rebuild the controls beside it.
            pending.sort(key=lambda c: (c["kind"] == "dropdown", c["cell"], c["id"]))
            done.add(control_key(pending[0]))
            report["moves"].append(await move(tools, pending[0]))
        report["problems"] = await call(tools, "problems")
        report["heard"] = await call(tools, "heard")

        if sentinel:
            report["sentinel"] = await check_sentinel(tools)
        await call(tools, "shutdown", timeout=60)
    finally:
        report["requests"] = tools.requests()
        report["page errors"] = tools.console_errors()
        await close()
    return report


async def check_sentinel(tools):
    """Add the sentinel cell, run it, move its slider: both of its errors must be seen."""
    await call(tools, "appendAndRun", SENTINEL, FIGURE_TIMEOUT * 1000, timeout=FIGURE_TIMEOUT + 10)
    slider = [c for c in await call(tools, "controls") if c["description"] == "sentinel"]
    assert len(slider) == 1, slider
    assert await call(tools, "focusSlider", slider[0]["id"])
    await tools.press("ArrowRight", key_code=39)
    deadline = time.monotonic() + FIGURE_TIMEOUT
    while time.monotonic() < deadline:
        problems = (await call(tools, "problems"))["found"]
        heard = await call(tools, "heard")
        if problems and len(kernel_errors(heard)) >= 2:
            break
        await asyncio.sleep(0.2)
    return {"problems": problems, "heard": heard}


@pytest.mark.parametrize("notebook", [pytest.param(p, id=p.stem) for p in chapters()])
def test_chapter_runs_in_jupyterlab(lab, lab_browser, notebook):
    with untouched(notebook) as changes:
        report = asyncio.run(drive(lab, lab_browser, notebook, sentinel=notebook.stem == EXPLORER))
    assert not changes, changes

    opened, run = report["opened"], report["run"]
    assert json.loads(opened["documentSettings"]).get("autosave") is False, opened
    assert Path(report["kernel"]["lossbook"]).resolve().is_relative_to(ROOT / "lossbook"), \
        f"the kernel imported another lossbook: {report['kernel']}"
    assert Path(report["kernel"]["prefix"]).resolve() == Path(sys.prefix).resolve(), \
        f"the kernel runs another Python: {report['kernel']}"
    assert run["ran"] is True, "JupyterLab's run-all did not complete"
    assert run["counts"] == list(range(1, opened["codeCells"] + 1)), \
        f"not every cell ran once, in order: {run['counts']}"

    problems = report["problems"]
    assert problems["areas"] == problems["domAreas"] > 0, problems
    assert not problems["found"], f"errors in the outputs: {problems['found']}"
    errors = kernel_errors(report["heard"])
    assert not errors, f"the kernel sent errors: {errors}"

    moves = report["moves"]
    shows_widgets = any("application/vnd.jupyter.widget-view+json" in out.get("data", {})
                        for cell in nbformat.read(notebook, as_version=4).cells
                        for out in cell.get("outputs", []))
    assert moves or not shows_widgets, "no widget control was found to move"
    unchanged = [m["control"]["description"] or m["control"]["kind"]
                 for m in moves if not m["changed"]]
    assert not unchanged, f"the figure did not follow these controls: {unchanged}"
    stuck = [m["control"]["description"] for m in moves if not m["slider moved"]]
    assert not stuck, f"these sliders did not move on an arrow key: {stuck}"
    if notebook.stem == EXPLORER:
        # The loss picker: a drop-down of loss names (all of them, or a family's).
        assert any(m["control"]["kind"] == "slider" for m in moves), "the explorer has no slider"
        pickers = [m for m in moves if m["control"]["kind"] == "dropdown"
                   and len(set(m["control"]["options"]) & LOSSES) >= 2]
        assert pickers, "the explorer's loss picker was not switched"
        sentinel = report["sentinel"]
        assert any("sentinel inside an Output widget" in p for p in sentinel["problems"]), sentinel
        assert any("sentinel in a plain observer" in m for m in kernel_errors(sentinel["heard"])), \
            sentinel

    base = lab.url.split("/lab?")[0]
    leaving = [u for u in report["requests"] if not u.startswith((base, *LOCAL_SCHEMES))]
    assert not leaving, f"requests left the machine: {leaving}"
    assert not report["page errors"], f"uncaught errors in the page: {report['page errors']}"
