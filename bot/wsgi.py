"""WSGI entry point for gunicorn (`madoguchi serve`).

Behind a TLS-terminating reverse proxy set TRUSTED_PROXIES to the number of proxies in front (usually 1), so the
app sees the client's scheme and host from X-Forwarded-* headers; without it those headers are ignored.
"""

import os

# Numerical libraries on one thread, set before numpy is first imported. The retrievers and the intent model
# multiply small matrices; with a second OpenBLAS thread (its default on 2 cores) the idle thread spins after
# each product and doubled the web process's CPU per text event (25 → 54 ms measured by tests/bench/stages.py),
# and it competes with the other requests' threads. The semantic retriever already runs its engine on one thread.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from werkzeug.middleware.proxy_fix import ProxyFix  # noqa: E402 (after the thread settings)

from bot.app import create_app  # noqa: E402

app = create_app()
_proxies = int(os.environ.get("TRUSTED_PROXIES", "0") or 0)
if _proxies:
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=_proxies, x_proto=_proxies, x_host=_proxies)
