"""The production web server (`madoguchi serve`: gunicorn) in a subprocess that a test can kill -9 and restart.

The LINE emulator runs in the test process (so its state survives the kill); the server talks to it over
HTTP like it would to LINE. A signed-in admin is an `HttpBrowser` with a cookie jar.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tests.conftest import free_port

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class ServerProcess:
    """`madoguchi serve` on a free port with `env`; start(), kill9(), restart()."""

    def __init__(self, env: dict[str, str], log: Path):
        self.env = env
        self.log = log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> ServerProcess:
        """Start gunicorn (one worker) and wait until /healthz answers."""
        argv = [sys.executable, "-m", "bot", "serve", "--bind", f"127.0.0.1:{self.port}", "--workers", "1"]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(  # noqa: S603 (fixed argv)
                argv, env={**os.environ, **self.env}, stdout=out, stderr=out, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1):  # noqa: S310 (loopback)
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start:\n{self.log.read_text()[-3000:]}")

    def kill9(self) -> None:
        """SIGKILL the whole process group (gunicorn's master and its worker): no cleanup runs."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        """Stop politely (end of test)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill9()


class HttpBrowser:
    """A browser for the admin over real HTTP: cookies, and forms posted with the page's CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode()

    def post(self, path: str, form: dict, token_from: str) -> int:
        """POST a form with the CSRF token of the page `token_from`; returns the status (redirects followed)."""
        page = self.get(token_from)
        token = _CSRF.search(page) or re.search(r'name="csrf-token" content="([^"]+)"', page)
        assert token, f"no CSRF token on {token_from}"
        data = urllib.parse.urlencode({"csrf_token": token.group(1), **form}).encode()
        try:
            with self.opener.open(self.base + path, data=data, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
