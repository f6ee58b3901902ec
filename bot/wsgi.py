"""WSGI entry point for gunicorn (`madoguchi serve`).

Behind a TLS-terminating reverse proxy set TRUSTED_PROXIES to the number of proxies in front (usually 1), so the
app sees the client's scheme and host from X-Forwarded-* headers; without it those headers are ignored.
"""

import os

from werkzeug.middleware.proxy_fix import ProxyFix

from bot.app import create_app  # imports bot first: numerical libraries on one thread (bot/__init__.py)
from bot.platform.warmup import warm_up_in_background

app = create_app()
warm_up_in_background(app.extensions["madoguchi"])
_proxies = int(os.environ.get("TRUSTED_PROXIES", "0") or 0)
if _proxies:
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=_proxies, x_proto=_proxies, x_host=_proxies)
