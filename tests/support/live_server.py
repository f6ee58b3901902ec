"""LiveServer: serve a WSGI app on a free loopback port in a daemon thread, for tests that need real HTTP."""

from __future__ import annotations

import threading

from werkzeug.serving import make_server


class LiveServer:
    """Context manager running `app` (threaded); `.url` is its base URL, e.g. http://127.0.0.1:50123."""

    def __init__(self, app=None, host: str = "127.0.0.1"):
        self.app = app
        self.host = host
        self.url = ""
        self._factory = None
        self._server = None
        self._thread = None

    @classmethod
    def for_app_factory(cls, factory, host: str = "127.0.0.1") -> LiveServer:
        """A server whose app is built by `factory(base_url)` once the port is known."""
        server = cls(None, host)
        server._factory = factory
        return server

    def _wsgi(self, environ, start_response):
        return self.app(environ, start_response)

    def __enter__(self) -> LiveServer:
        self._server = make_server(self.host, 0, self._wsgi, threaded=True)
        self.url = f"http://{self.host}:{self._server.port}"
        if self.app is None:
            try:
                self.app = self._factory(self.url)
            except BaseException:
                self._server.server_close()
                raise
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def emulator_config(base: str, database_url: str) -> dict:
    """App config for a test server at `base` whose LINE platform is its own emulator (the test credentials)."""
    from tests.support.events import SECRET, TOKEN

    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "LINE_CHANNEL_SECRET": SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
        "LINE_API_BASE": f"{base}/emulator/line",
        "LINE_DATA_API_BASE": f"{base}/emulator/line",
        "EMULATOR_ENABLED": True,
        "EMULATOR_WEBHOOK_URL": f"{base}/callback",
    }
