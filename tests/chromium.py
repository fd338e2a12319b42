"""Headless Chromium for the tests, driven over the DevTools protocol.

The protocol is spoken through tornado's websocket client, which the notebook stack
already installs, so no browser-automation package is needed. Chromium starts with a
fresh profile in a temporary folder and is stopped by its process id. Its host resolver
maps every host except localhost and 127.0.0.1 to nothing, so a page that tried to fetch
something from the internet would fail instead of succeeding quietly; the requests it made
are recorded from the protocol's Network events.
"""
import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from tornado.websocket import websocket_connect

# The rule `MAP * ~NOTFOUND` catches IP literals too: 127.0.0.1 is excluded by name.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
         "--disable-extensions",
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
         "--remote-debugging-port=0")


def find_chromium():
    """The Chromium executable ($CHROMIUM, chromium or chromium-browser), or None."""
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def stop(process, timeout=10):
    """Terminate one process by its id, then kill it if it does not exit in time."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def chromium(executable, width=1200, height=900, prefix="lossbook-chromium", extra=()):
    """Start headless Chromium with a fresh profile (a temporary folder named after
    `prefix`) and any `extra` flags; yield its DevTools port."""
    profile = tempfile.mkdtemp(prefix=f"{prefix}-")
    process = subprocess.Popen(
        [executable, *FLAGS, *extra, f"--user-data-dir={profile}",
         f"--window-size={width},{height}",
         "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = Path(profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.is_file() and port_file.read_text().count("\n") >= 1):
            if process.poll() is not None:
                raise RuntimeError(f"Chromium exited with code {process.returncode} at start-up")
            if time.monotonic() > deadline:
                raise RuntimeError("Chromium did not open its DevTools port within 30 s")
            time.sleep(0.1)
        yield int(port_file.read_text().split("\n")[0])
    finally:
        stop(process)
        # Chromium's helper processes may still write to the profile for a moment.
        for _ in range(50):
            shutil.rmtree(profile, ignore_errors=True)
            if not os.path.exists(profile):
                break
            time.sleep(0.1)


class JavaScriptError(RuntimeError):
    """An exception thrown by an expression evaluated in the page."""


class DevTools:
    """One browser tab: protocol calls, and the events that arrive meanwhile."""

    def __init__(self, socket):
        self.socket = socket
        self.events = []
        self._id = 0

    async def _read(self, deadline, waiting_for):
        message = await asyncio.wait_for(self.socket.read_message(),
                                         max(deadline - time.monotonic(), 0.1))
        if message is None:
            raise RuntimeError(f"Chromium closed the connection waiting for {waiting_for}")
        return json.loads(message)

    async def call(self, method, timeout=60, **params):
        self._id += 1
        await self.socket.write_message(json.dumps({"id": self._id, "method": method,
                                                    "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            data = await self._read(deadline, method)
            if data.get("id") == self._id:
                if "error" in data:
                    raise RuntimeError(f"{method}: {data['error']}")
                return data["result"]
            self.events.append(data)

    async def wait_for(self, event, timeout=60):
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == event for e in self.events):
            self.events.append(await self._read(deadline, event))

    async def evaluate(self, expression, timeout=60):
        """The value of a JavaScript expression (a promise is awaited), as JSON."""
        result = await self.call("Runtime.evaluate", timeout=timeout, expression=expression,
                                 awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            message = details.get("exception", {}).get("description") or details.get("text")
            raise JavaScriptError(message)
        return result["result"].get("value")

    async def press(self, key, code=None, key_code=None):
        """A real key press (keydown, keyup) sent to the focused element."""
        common = {"key": key, "code": code or key,
                  "windowsVirtualKeyCode": key_code or 0, "nativeVirtualKeyCode": key_code or 0}
        await self.call("Input.dispatchKeyEvent", type="rawKeyDown", **common)
        await self.call("Input.dispatchKeyEvent", type="keyUp", **common)

    def requests(self):
        """Every URL the tab requested so far."""
        return [e["params"]["request"]["url"] for e in self.events
                if e.get("method") == "Network.requestWillBeSent"]

    def console_errors(self):
        """Uncaught exceptions in the page so far, as text."""
        return [e["params"]["exceptionDetails"].get("exception", {}).get("description")
                or e["params"]["exceptionDetails"].get("text")
                for e in self.events if e.get("method") == "Runtime.exceptionThrown"]


async def open_tab(port, width=1200, height=900):
    """A new tab in the browser on `port`, with network and runtime events enabled.

    Returns ``(tools, close)``; ``await close()`` closes the tab.
    """
    request = urllib.request.Request(f"http://127.0.0.1:{port}/json/new?about:blank", method="PUT")
    with urllib.request.urlopen(request) as response:
        target = json.load(response)
    socket = await websocket_connect(target["webSocketDebuggerUrl"], max_message_size=1 << 28)
    tools = DevTools(socket)
    await tools.call("Network.enable")
    await tools.call("Page.enable")
    await tools.call("Runtime.enable")
    await tools.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                     deviceScaleFactor=1, mobile=False)

    async def close():
        socket.close()
        urllib.request.urlopen(f"http://127.0.0.1:{port}/json/close/{target['id']}").close()

    return tools, close
