"""Load benchmark (`make bench-load`): the bot under gunicorn on PostgreSQL beside a bare echo bot on the same stack.

Everything runs on 127.0.0.1 and stops by itself. A throwaway PostgreSQL 15 cluster (durable settings) holds the
bot's database (migrated, knowledge base loaded). The LINE emulator runs in a child process of its own, so that its
request handling and message validation do not share the load generator's GIL. The bot (`bot.wsgi:app`) and the
echo bot (`tests.bench.echo_app:app`) run side by side under gunicorn with the same workers and threads, pointed
at the emulator's Messaging API, and are measured in turn at each rate (the other one idle), so that a change in
the machine's other load over the run affects both alike. The scheduler (`madoguchi worker`) is not running: a
reply the web process could not send counts as lost.

The generator is open loop: at each rate, events are due at fixed times whether or not earlier ones were answered;
each is a signed text event from one of 1,000 users in rotation (distinct users per app), created in the emulator
so that its reply token is valid, and POSTed to /callback on a new connection. The bot climbs the rates twice,
interleaved, and the two are reported apart (tests/bench/texts.py): on repeated texts (16 in rotation: after the first
few events every cache keyed by a message's text holds them, as for rich-menu taps and common short messages) and
on distinct texts (resident questions never sent before in the run: every such cache missed, the sentence
embedding computed for each). The echo bot and the first contacts use the repeated texts.

Webhook latency runs from the time the event was due to the end of the response (so a queue in front of the server
counts); time to reply runs from the same moment until the emulator accepted the reply. Throughput is answered
events over the time from the first event due to the last answer. A stage is *sustained* when every event was
answered 200, throughput reached 95 % of the offered rate and nothing was lost or duplicated; each app climbs the
rates until a stage is not sustained (a stage stops offering events once 3 s worth of them wait unanswered). Before
the climb, each app meets all its users in a first-contact stage (one event per user, at a modest rate), so that
every later event is a returning user's; the two kinds cost differently (first contact creates the user and
conversation rows). First contacts also climb the rates beside returning users (every event from a user never seen
before) and are judged as those are: the median of their sustained stages, at the rates at which returning users'
figure is taken. CPU per event falls as the rate rises (about 1 ms more per returning user's event at 25/s than at
100/s on a 2-core machine; probably each event waking idle processes, their caches cold), so a figure taken at one
low rate is not comparable with a median over the climb; the meeting stage's figure is printed beside it.

CPU per event is measured per process group for every stage, per answered event, from /proc: the app (gunicorn
master and workers), PostgreSQL (postmaster and backends), the emulator and the load generator (this process).
The app's cost is app + PostgreSQL; the emulator and the generator are shown so that a change there is seen too.

Lost: answered 200 but nothing delivered to the user (reply or push) within REPLY_TIMEOUT seconds. Duplicated: the
user received the same message twice for one event (e.g. a reply and then a push of it).
Target: the bot's best sustained rate with webhook p99 ≤ 50 ms is at least half the echo bot's peak throughput;
app + PostgreSQL CPU per returning user's text event ≤ 6.5 ms (first contact ≤ 8 ms), judged on the repeated
texts; the distinct texts' figures are printed beside them. Each text event the bench sends is looked up in the
knowledge base (three retrievers, one of them a sentence-embedding model): that cost is in the bot's figure;
`make bench` (tests/bench/stages.py) shows it as its own line of one event's breakdown, for both kinds of text.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import logging
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from tests.bench.texts import TEXTS, distinct_texts
from tests.support.events import SECRET, TOKEN, sign

ROOT = Path(__file__).resolve().parents[2]
RATES = (10, 25, 50, 75, 100, 125, 150, 200, 250, 300, 400, 500, 600)  # events/s, climbing until not sustained
STAGE_SECONDS = 10.0
USERS = 1_000
REPLY_TIMEOUT = 10.0  # seconds after the webhook answered
HTTP_TIMEOUT = 30.0
LATENCY_TARGET_MS = 50.0
CPU_TARGET_MS = 6.5  # app + PostgreSQL per returning user's text event
FIRST_CPU_TARGET_MS = 8.0  # … per first contact
FIRST_CONTACT_RATE = 25.0  # events/s of the stage in which each app meets its users
GROUPS = ("app", "pg", "emu", "gen")  # CPU per event by process: the app, PostgreSQL, the emulator, the generator
RATIO_TARGET = 0.5
CLIENT_THREADS = 200


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of values (nearest rank), as the other benchmarks compute it."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


# The emulator, in a child process


class _Recorder:
    """Wraps an EmulatorStore to note when each reply token was used and every push, with monotonic times."""

    def __init__(self, store):
        self.lock = threading.Lock()
        self.replies: dict[str, tuple[float, str]] = {}  # token -> (when, messages as JSON)
        self.refused: dict[str, int] = defaultdict(int)  # token -> refused reply attempts
        self.pushes: list[tuple[str, float, str]] = []  # (user id, when, messages as JSON)
        redeem, send = store.redeem_reply_token, store.send

        def redeem_reply_token(token, messages):
            error, sent = redeem(token, messages)
            with self.lock:
                if error is None:
                    self.replies[token] = (time.monotonic(), json.dumps(messages, sort_keys=True, ensure_ascii=False))
                else:
                    self.refused[token] += 1
            return error, sent

        def send_(to, messages, via, retry_key, request_id):
            delivery = send(to, messages, via, retry_key, request_id)
            if delivery.accepted_request_id is None:  # not a retry LINE already accepted: delivered
                now, dumped = time.monotonic(), json.dumps(messages, sort_keys=True, ensure_ascii=False)
                with self.lock:
                    self.pushes.extend((user, now, dumped) for user in to)
            return delivery

        store.redeem_reply_token, store.send = redeem_reply_token, send_

    def unreplied(self, tokens: list[str]) -> int:
        with self.lock:
            return sum(1 for token in tokens if token not in self.replies)

    def collect(self, tokens: list[str]) -> dict:
        with self.lock:
            pushes, self.pushes = self.pushes, []
            return {
                "replies": {t: self.replies[t] for t in tokens if t in self.replies},
                "refused": {t: self.refused[t] for t in tokens if t in self.refused},
                "pushes": pushes,
            }


def _keep_alive_handler():
    """werkzeug's request handler, keeping HTTP/1.1 connections open as LINE's API does (werkzeug's own closes
    every connection after one request, so each reply the bot sent paid for a new TCP connection on both sides).

    The request body is read whole to its Content-Length before the app runs and the response is sent with its
    length, so the next request on the connection starts where it should; a chunked request falls back to
    werkzeug's handling (which closes the connection). The response goes out in one write with Nagle's algorithm
    off: a body written after its headers would otherwise wait for the client's delayed ACK (40 ms)."""
    import io

    from werkzeug.serving import WSGIRequestHandler

    class KeepAliveHandler(WSGIRequestHandler):
        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def run_wsgi(self) -> None:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked" or self.headers.get("Expect"):
                super().run_wsgi()
                return
            self.environ = environ = self.make_environ()
            length = int(environ.get("CONTENT_LENGTH") or 0)
            environ["wsgi.input"] = io.BytesIO(self.rfile.read(length) if length > 0 else b"")
            environ["wsgi.input_terminated"] = True
            started: list = []

            def start_response(status, headers, exc_info=None):
                started[:] = [status, headers]
                return lambda data: chunks.append(data)

            chunks: list[bytes] = []
            result = self.server.app(environ, start_response)
            try:
                chunks.extend(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
            status, headers = started
            code, _space, message = status.partition(" ")
            data = b"".join(chunks)
            self.send_response(int(code), message)
            for key, value in headers:
                if key.lower() not in ("content-length", "connection"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self._headers_buffer.extend([b"\r\n", data])  # the end of the headers and the body, in one write
            self.flush_headers()

    return KeepAliveHandler


def _emulator_main(conn, listener_fd: int) -> None:
    """Child process: serve the emulator on the listening socket it was given; answer commands until "stop"."""
    from flask import Flask
    from werkzeug.serving import make_server

    from bot.line import emulator
    from bot.line.emulator import api, schema
    from bot.line.emulator.webhook_sender import make_event, message_content

    probe = socket.socket(fileno=listener_fd)
    host, port = probe.getsockname()[:2]
    probe.detach()  # keep the descriptor open for the server
    app = Flask("line_emulator")  # the emulator alone: the bot's own app (database, admin) is not needed here
    app.config.update(LINE_CHANNEL_SECRET=SECRET, LINE_CHANNEL_ACCESS_TOKEN=TOKEN)
    store = emulator.init_app(app)
    for name in ("ReplyMessageRequest", "PushMessageRequest"):  # compiled once, before the first request
        schema.validator(api.SPEC, name)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log line per request
    server = make_server(host, port, app, threaded=True, fd=listener_fd, request_handler=_keep_alive_handler())
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    recorder = _Recorder(store)

    def text_event(user: str, text: str) -> dict:
        message = message_content({"type": "text", "text": text}, store.message_id())
        return make_event(store, "message", user, message=message)

    conn.send("ready")
    while True:
        command, arg = conn.recv()
        if command == "events":
            conn.send([text_event(user, text) for user, text in arg])
        elif command == "unreplied":
            conn.send(recorder.unreplied(arg))
        elif command == "collect":
            conn.send(recorder.collect(arg))
        elif command == "violations":
            with store.lock:
                conn.send(len(store.violations))
        else:
            server.shutdown()
            conn.send(None)
            return


def _emulator_child(conn_fd: int, listener_fd: int) -> None:
    """Entry point of the emulator's process: its end of the command socket and the listening socket."""
    _emulator_main(Connection(conn_fd), listener_fd)


class Emulator:
    """The LINE emulator in a child process of its own; `.url` is its base URL, listening from the start."""

    def __enter__(self) -> Emulator:
        ours, theirs = socket.socketpair()
        listener = socket.create_server(("127.0.0.1", 0), backlog=512)
        self.url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        code = "import sys; from tests.bench.load import _emulator_child; _emulator_child(*map(int, sys.argv[1:]))"
        fds = [theirs.fileno(), listener.fileno()]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        with theirs, listener:
            self._process = subprocess.Popen(
                [sys.executable, "-c", code, *map(str, fds)], pass_fds=fds, cwd=ROOT, env=env
            )
        self._conn = Connection(ours.detach())
        self.pid = self._process.pid
        self._ready = False
        return self

    def wait_until_ready(self, timeout: float = 60) -> None:
        """Return once the emulator serves requests; RuntimeError if it does not start in time."""
        if not self._ready and (not self._conn.poll(timeout) or self._conn.recv() != "ready"):
            raise RuntimeError("the emulator did not start")
        self._ready = True

    def _ask(self, command: str, arg=None):
        self._conn.send((command, arg))
        return self._conn.recv()

    def make_events(self, pairs: list[tuple[str, str]]) -> list[dict]:
        """A text event (reply token issued by the emulator) for each (user id, text)."""
        return self._ask("events", pairs)

    def unreplied(self, tokens: list[str]) -> int:
        return self._ask("unreplied", tokens)

    def collect(self, tokens: list[str]) -> dict:
        """Replies and refused replies for these tokens, and every push since the last collect."""
        return self._ask("collect", tokens)

    def violations(self) -> int:
        return self._ask("violations")

    def __exit__(self, *exc) -> None:
        if self._ready:
            try:
                self._ask("stop")
            except (OSError, EOFError):
                pass
        else:
            self._process.kill()
        self._stop()

    def _stop(self) -> None:
        self._conn.close()  # the child's recv() ends: it exits
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


# gunicorn


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A started gunicorn: its base URL, port, master process and log file."""

    url: str
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_until_up(self, timeout: float = 60) -> None:
        """Return once /healthz answers 200; RuntimeError if gunicorn exits or takes longer than `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn on port {self.port} did not come up") from None
                time.sleep(0.2)


@contextlib.contextmanager
def gunicorn(app: str, env: dict[str, str], workers: int, threads: int, log: Path) -> Iterator[Server]:
    """Start `app` under gunicorn (gthread) on a free loopback port, without waiting; stopped when the block ends."""
    port = _free_port()
    binary = Path(sys.executable).with_name("gunicorn")
    cmd = [
        str(binary), "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", "gthread",
        "--threads", str(threads), "--log-level", "warning", "--timeout", "60", "--graceful-timeout", "5", app,
    ]  # fmt: skip
    with log.open("ab") as out:
        process = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=out, start_new_session=True)
    try:
        yield Server(f"http://127.0.0.1:{port}", port, process, log)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # the master and its workers: a session of their own
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) used so far by these processes, their live descendants and reaped children."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}  # pid -> (parent pid, seconds)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        stats[int(entry.name)] = (int(fields[1]), sum(int(f) for f in fields[11:15]) / ticks)
    children: dict[int, list[int]] = defaultdict(list)
    for pid, (parent, _seconds) in stats.items():
        children[parent].append(pid)
    total, todo = 0.0, [pid for pid in pids if pid in stats]
    while todo:
        pid = todo.pop()
        total += stats[pid][1]
        todo.extend(children.get(pid, []))
    return total


def server_env(database_url: str, api_base: str) -> dict[str, str]:
    """Environment for either app: the benchmark channel's credentials, the emulator as LINE."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "SECRET_KEY", "EMULATOR", "DATABASE"))}
    env.update(
        DATABASE_URL=database_url,
        LINE_CHANNEL_SECRET=SECRET,
        LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
        LINE_API_BASE=api_base,
        LINE_DATA_API_BASE=api_base,
        SECRET_KEY=secrets.token_hex(32),
        SEND_ASYNC="1",
        EMULATOR_ENABLED="0",
        PYTHONPATH=str(ROOT),
    )
    return env


# The load generator


@dataclass(eq=False)  # compared and hashed by identity
class Sent:
    """One event: whom it came from, its reply token, when it was due and what the webhook did."""

    user: str
    token: str
    due: float
    status: int | None = None
    done: float = 0.0


@dataclass
class Stage:
    """Figures for one rate."""

    app: str
    rate: float
    seconds: float
    events: list[Sent] = field(default_factory=list)
    unsent: int = 0  # not sent: the stage was cut short because the backlog grew too long
    throughput: float = 0.0
    hook_ms: list[float] = field(default_factory=list)
    reply_ms: list[float] = field(default_factory=list)
    lost: int = 0
    duplicated: int = 0
    pushed: int = 0
    refused: int = 0
    cpu_ms: float | None = None  # CPU per answered event: the app's processes and PostgreSQL's
    cpu: dict[str, float] = field(default_factory=dict)  # CPU per answered event by process group (GROUPS)
    first_contacts: int = 0  # events from a user this app had not seen before
    texts: str = "repeated"  # TEXTS in rotation, or "distinct": never sent before (tests/bench/texts.py)

    @property
    def ok(self) -> int:
        return sum(1 for e in self.events if e.status == 200)

    @property
    def errors(self) -> int:
        """Events sent but not answered 200 (an error status, a timeout or a refused connection)."""
        return len(self.events) - self.ok

    @property
    def failed(self) -> int:
        return self.errors + self.unsent

    @property
    def hook_p99(self) -> float:
        return percentile(self.hook_ms, 99) if self.hook_ms else float("inf")

    @property
    def sustained(self) -> bool:
        return not self.failed and self.throughput >= 0.95 * self.rate and not self.lost and not self.duplicated

    def row(self) -> str:
        def ms(values: list[float], q: float) -> str:
            return f"{percentile(values, q):8.1f}" if values else "       -"

        return (
            f"{self.app:<5} {self.texts:<8} {self.rate:6.0f} {len(self.events) + self.unsent:6d} {self.ok:6d} "
            f"{self.failed:5d} {self.throughput:7.1f} {ms(self.hook_ms, 50)} {ms(self.hook_ms, 99)} "
            f"{ms(self.reply_ms, 50)} {ms(self.reply_ms, 99)} {self.lost:5d} {self.duplicated:4d} {self.pushed:5d} "
            f"{'     -' if self.cpu_ms is None else f'{self.cpu_ms:6.1f}'}  {'yes' if self.sustained else 'NO '}"
            f"  {' '.join(f'{self.cpu[g]:5.1f}' if g in self.cpu else '    -' for g in GROUPS)}"
            f"{f'  ({self.first_contacts} first contacts)' if self.first_contacts else ''}"
        )


HEADER = (
    "app   texts      rate   sent     ok  fail  thru/s hook p50 hook p99 rply p50 rply p99  lost  dup  push cpu/ev  "
    "sustained    app    pg   emu   gen\n"
    "                                                    (ms)     (ms)     (ms)     (ms)                    (ms)  "
    "app+pg      CPU ms per event by process"
)


def _post(port: int, body: bytes, signature: str, sent: Sent) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=HTTP_TIMEOUT)
    headers = {"Content-Type": "application/json; charset=utf-8", "X-Line-Signature": signature}
    try:
        connection.request("POST", "/callback", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        sent.status = response.status
    except OSError:
        sent.status = None
    finally:
        connection.close()
        sent.done = time.monotonic()


class Generator:
    """Sends events from `users` user ids (prefix-distinct per app) with resident texts in rotation."""

    def __init__(self, emulator: Emulator, app: str, prefix: int, users: int = USERS):
        self.emulator = emulator
        self.app = app
        self._users = itertools.cycle([f"U{prefix:02x}{i:030x}" for i in range(users)])
        self._texts = itertools.cycle(TEXTS)
        # Users never in the rotation above, with texts of their own: the returning users' sequence of texts (which
        # decides e.g. which of them are inside a guided path) stays the same whether first contacts climb or not.
        self._new_users = (f"U{prefix:02x}f{i:029x}" for i in itertools.count())
        self._new_texts = itertools.cycle(TEXTS)
        self._pool = ThreadPoolExecutor(max_workers=CLIENT_THREADS, thread_name_prefix="load")
        self._destination = "U" + "f" * 32
        self._by_user: dict[str, list[Sent]] = defaultdict(list)  # every event sent, in order
        self._deliveries: dict[Sent, list[tuple[float, str]]] = {}  # (when, messages as JSON) per event
        self.late = 0  # pushes that came after their event's stage was scored
        self.late_duplicates = 0  # of which repeated a message already delivered

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def send(
        self, port: int, rate: float, seconds: float, texts: Iterator[str] | None = None, fresh: bool = False
    ) -> Stage:
        """Offer `rate` events/s for `seconds` (open loop), wait for the answers, then the replies. The texts are
        TEXTS in rotation unless `texts` (never sent before) is given; the users are those in rotation, or with
        `fresh` users never seen before (every event a first contact)."""
        stage = Stage(self.app, rate, seconds, texts="repeated" if texts is None else "distinct")
        count = max(1, round(rate * seconds))
        users, rotation = (self._new_users, self._new_texts) if fresh else (self._users, self._texts)
        pairs = [(next(users), next(rotation if texts is None else texts)) for _ in range(count)]
        seen = set(self._by_user)
        for user, _text in pairs:
            stage.first_contacts += user not in seen
            seen.add(user)
        events = self.emulator.make_events(pairs)
        bodies = []
        for event in events:
            body = json.dumps({"destination": self._destination, "events": [event]}, ensure_ascii=False)
            bodies.append((body.encode(), sign(body)))
        in_flight = threading.Semaphore(0)
        backlog_limit = max(50, int(rate * 3))  # more than 3 s of events unanswered: stop offering more
        pending = 0
        start = time.monotonic() + 0.05
        for i, (event, (body, signature)) in enumerate(zip(events, bodies, strict=True)):
            due = start + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            while in_flight.acquire(blocking=False):
                pending -= 1
            if pending > backlog_limit:
                stage.unsent = count - i
                break
            sent = Sent(event["source"]["userId"], event["replyToken"], due)
            stage.events.append(sent)
            pending += 1
            future = self._pool.submit(_post, port, body, signature, sent)
            future.add_done_callback(lambda _f: in_flight.release())
        while pending:
            in_flight.acquire()
            pending -= 1
        self._wait_for_replies(stage)
        return stage

    def _wait_for_replies(self, stage: Stage) -> None:
        answered = [e for e in stage.events if e.status == 200]
        if stage.events:
            first, last = stage.events[0].due, max(e.done for e in stage.events)
            stage.throughput = len(answered) / max(last - first, 1e-9)
        stage.hook_ms = [(e.done - e.due) * 1000 for e in answered]
        tokens = [e.token for e in answered]
        deadline = max((e.done for e in answered), default=time.monotonic()) + REPLY_TIMEOUT
        while time.monotonic() < deadline and self.emulator.unreplied(tokens):
            time.sleep(0.1)
        time.sleep(0.3)  # a late duplicate (a push after the reply) would come now
        self._score(stage, answered, self.emulator.collect(tokens))

    def _score(self, stage: Stage, answered: list[Sent], found: dict) -> None:
        for sent in stage.events:
            self._by_user[sent.user].append(sent)
        current = set(stage.events)
        self._attribute(found["pushes"], current)
        replies = found["replies"]
        stage.refused = sum(found["refused"].values())
        for sent in answered:
            pushed = self._deliveries.get(sent, [])
            deliveries = pushed + ([replies[sent.token]] if sent.token in replies else [])
            self._deliveries[sent] = deliveries
            stage.pushed += bool(pushed)
            in_time = [d for d in deliveries if d[0] - sent.done <= REPLY_TIMEOUT]
            if not in_time:
                stage.lost += 1
                continue
            stage.reply_ms.append((min(d[0] for d in in_time) - sent.due) * 1000)
            stage.duplicated += _repeats(deliveries)

    def _attribute(self, pushes: list[tuple[str, float, str]], current: set[Sent]) -> None:
        """File each push under the user's latest event sent before it; one for an earlier stage is late."""
        for user, when, messages in pushes:
            earlier = [s for s in self._by_user.get(user, []) if s.due <= when]
            if not earlier:
                continue
            sent = earlier[-1]
            self._deliveries.setdefault(sent, []).append((when, messages))
            if sent not in current:
                self.late += 1
                self.late_duplicates += _repeats(self._deliveries[sent])

    def finish(self, pushes: list[tuple[str, float, str]]) -> None:
        """Count pushes (collected at the end of the run) that came after their event's stage was scored."""
        self._attribute(pushes, set())


def _repeats(deliveries: list[tuple[float, str]]) -> bool:
    """Whether the same message was delivered twice among these deliveries (each a JSON list of messages)."""
    dumped = [json.dumps(m, sort_keys=True, ensure_ascii=False) for d in deliveries for m in json.loads(d[1])]
    return len(dumped) != len(set(dumped))


WARM_P99_MS = 250.0  # a warm-up round this quick (and all answered): every worker has loaded what it needs
WARM_SECONDS = 120.0  # at the most


def warm_up(server: Server, emulator: Emulator, workers: int, threads: int, seconds: float = WARM_SECONDS) -> None:
    """Events from other users until every worker has loaded what it loads on first use: rounds of 1.5 s until one
    is answered in full and quickly (building the knowledge index embeds every text the shipped vector cache lacks,
    which can take a worker many seconds), so that none of it lands in the first measured stage; at most for
    `seconds` (0: one round)."""
    generator = Generator(emulator, "warm", prefix=0xFF, users=50)
    deadline = time.monotonic() + seconds
    try:
        while True:
            stage = generator.send(server.port, rate=workers * threads * 4, seconds=1.5)
            quick = not stage.failed and stage.hook_p99 <= WARM_P99_MS
            if quick or time.monotonic() > deadline:
                return
    finally:
        generator.close()


@dataclass
class Verdict:
    """The comparison of the bot with the echo bot."""

    bot_peak: float
    echo_peak: float
    bot_at_target: float  # best sustained rate with webhook p99 ≤ 50 ms (0 if none)
    bot_cpu_ms: float | None = None  # median CPU per event over the sustained stages (app + PostgreSQL)
    echo_cpu_ms: float | None = None
    bot_cpu: dict[str, float] = field(default_factory=dict)  # the same by process group (GROUPS)
    echo_cpu: dict[str, float] = field(default_factory=dict)
    first: dict[str, Stage] = field(default_factory=dict)  # app -> the stage that met its users, when one was run
    first_cpu: dict[str, float] = field(default_factory=dict)  # the bot's first contacts in the climb, as bot_cpu
    # The bot on distinct texts (never sent before: every cache keyed by a message's text missed), when measured;
    # the figures above are on repeated texts (TEXTS in rotation: those caches warm).
    new_peak: float | None = None
    new_at_target: float = 0.0
    new_cpu: dict[str, float] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.bot_peak / self.echo_peak if self.echo_peak else 0.0

    @property
    def ratio_at_target(self) -> float:
        return self.bot_at_target / self.echo_peak if self.echo_peak else 0.0

    @property
    def met(self) -> bool:
        return self.ratio_at_target >= RATIO_TARGET

    def lines(self) -> list[str]:
        lines = self._cpu_lines()
        if self.bot_cpu_ms and self.echo_cpu_ms:
            ratio = self.echo_cpu_ms / self.bot_cpu_ms
            lines.append(f"CPU-bound throughput ratio (echo's app + PostgreSQL CPU per event / bot's) ≈ {ratio:.0%}")
        lines += [
            f"peak throughput: bot {self.bot_peak:.1f}/s, echo {self.echo_peak:.1f}/s, ratio {self.ratio:.0%}",
            f"bot's best sustained rate with webhook p99 ≤ {LATENCY_TARGET_MS:.0f} ms: {self.bot_at_target:.0f}/s "
            f"= {self.ratio_at_target:.0%} of the echo bot's peak (target ≥ {RATIO_TARGET:.0%}): "
            f"{'met' if self.met else 'NOT met'}",
        ]
        if self.new_peak is not None:
            echo = self.echo_peak or float("nan")
            lines.append(f"  distinct texts: peak {self.new_peak:.1f}/s ({self.new_peak / echo:.0%} of the echo's), "
                         f"best sustained with p99 ≤ {LATENCY_TARGET_MS:.0f} ms {self.new_at_target:.0f}/s "
                         f"({self.new_at_target / echo:.0%})")  # fmt: skip
        return lines

    def _cpu_lines(self) -> list[str]:
        def by_process(cpu: dict[str, float]) -> str:
            if not cpu:
                return "-"
            app_pg = cpu.get("app", 0.0) + cpu.get("pg", 0.0)
            return (f"app {cpu.get('app', 0):.1f} + PostgreSQL {cpu.get('pg', 0):.1f} = {app_pg:.1f} ms "
                    f"(emulator {cpu.get('emu', 0):.1f}, generator {cpu.get('gen', 0):.1f})")  # fmt: skip

        lines = ["CPU per event by process (returning users' text events, median of sustained stages):",
                 f"  bot, repeated texts: {by_process(self.bot_cpu)}"]  # fmt: skip
        if self.new_peak is not None:
            lines.append(f"  bot, distinct texts: {by_process(self.new_cpu)}")
        lines.append(f"  echo:                {by_process(self.echo_cpu)}")
        for texts, cpu, what in (("repeated", self.bot_cpu, f"{len(TEXTS)} texts in rotation: text caches warm"),
                                 ("distinct", self.new_cpu, "never sent before: text caches missed")):  # fmt: skip
            if cpu:
                returning = cpu.get("app", 0.0) + cpu.get("pg", 0.0)
                met = "met" if returning <= CPU_TARGET_MS else "NOT met"
                lines.append(f"  bot app + PostgreSQL, {texts} texts ({what}): {returning:.1f} ms "
                             f"(target ≤ {CPU_TARGET_MS} ms): {met}")  # fmt: skip
        if self.first_cpu:
            lines.append(f"first contact (a new user each event, repeated texts, median of sustained stages), bot: "
                         f"{by_process(self.first_cpu)}")  # fmt: skip
        for name, stage in self.first.items():
            lines.append(f"first contact ({stage.first_contacts} new users at {stage.rate:g}/s, repeated texts), "
                         f"{name}: {by_process(stage.cpu)}")  # fmt: skip
        judged, how = self.first_cpu, "median of sustained stages, as for returning users"
        if not judged and "bot" in self.first:
            judged, how = self.first["bot"].cpu, f"at {self.first['bot'].rate:g}/s"
        if judged:
            first = judged.get("app", 0.0) + judged.get("pg", 0.0)
            met = "met" if first <= FIRST_CPU_TARGET_MS else "NOT met"
            lines.append(f"  bot first contact app + PostgreSQL {first:.1f} ms ({how}; target ≤ "
                         f"{FIRST_CPU_TARGET_MS} ms): {met}")  # fmt: skip
        return lines


def verdict(
    bot: list[Stage],
    echo: list[Stage],
    first: dict[str, Stage] | None = None,
    new: list[Stage] | None = None,
    first_climb: list[Stage] | None = None,
) -> Verdict:
    """The figures of the climb; `new`: the bot's stages on distinct texts, `first_climb`: its stages of first
    contacts, when measured (judged at the rates at which returning users' figure is taken)."""
    rates = {s.rate for s in _measured(bot)}
    return Verdict(
        bot_peak=_peak(bot),
        echo_peak=_peak(echo),
        bot_at_target=_at_target(bot),
        bot_cpu_ms=_median_cpu(bot),
        echo_cpu_ms=_median_cpu(echo),
        bot_cpu=_median_by_process(bot),
        echo_cpu=_median_by_process(echo),
        first=dict(first or {}),
        first_cpu=_median_by_process([s for s in first_climb or [] if s.rate in rates]),
        new_peak=None if new is None else _peak(new),
        new_at_target=_at_target(new or []),
        new_cpu=_median_by_process(new or []),
    )


def _peak(stages: list[Stage]) -> float:
    return max((s.throughput for s in stages if not s.errors), default=0.0)  # a stage cut short counts


def _at_target(stages: list[Stage]) -> float:
    return max((s.rate for s in stages if s.sustained and s.hook_p99 <= LATENCY_TARGET_MS), default=0.0)


def _measured(stages: list[Stage]) -> list[Stage]:
    """Sustained stages of returning users (any sustained stage when every one had first contacts)."""
    sustained = [s for s in stages if s.sustained and s.cpu_ms]
    returning = [s for s in sustained if not s.first_contacts]
    return returning or sustained


def _median_cpu(stages: list[Stage]) -> float | None:
    values = [s.cpu_ms for s in _measured(stages)]
    return statistics.median(values) if values else None


def _median_by_process(stages: list[Stage]) -> dict[str, float]:
    measured = [s for s in _measured(stages) if s.cpu]
    return {g: statistics.median(s.cpu.get(g, 0.0) for s in measured) for g in GROUPS} if measured else {}


@dataclass
class Result:
    """Both apps' stages, the verdict, the emulator's count of invalid API requests and what came late."""

    bot: list[Stage]
    echo: list[Stage]
    verdict: Verdict
    violations: int
    notes: list[str]
    late_duplicates: int = 0  # duplicates that came after their event's stage was scored
    pids: list[int] = field(default_factory=list)  # the gunicorn masters and the emulator (all stopped by now)
    first: dict[str, Stage] = field(default_factory=dict)  # each app's first-contact stage, when one was run
    bot_new: list[Stage] = field(default_factory=list)  # the bot's stages on distinct texts
    bot_first: list[Stage] = field(default_factory=list)  # the bot's stages of first contacts in the climb

    @property
    def stages(self) -> list[Stage]:
        return self.bot + self.bot_new + self.bot_first + self.echo + list(self.first.values())

    @property
    def lost(self) -> int:
        return sum(s.lost for s in self.stages)

    @property
    def duplicated(self) -> int:
        return sum(s.duplicated for s in self.stages) + self.late_duplicates


APPS = (("bot", "bot.wsgi:app"), ("echo", "tests.bench.echo_app:app"))


def run_load(
    database_url: str,
    workers: int,
    threads: int,
    rates=RATES,
    seconds: float = STAGE_SECONDS,
    progress=None,
    database_pids: tuple[int, ...] = (),
    grace: float = 1.0,
    first_contact_rate: float | None = None,
    distinct: bool = True,
    warm: float = WARM_SECONDS,
    first_contacts: bool = False,
) -> Result:
    """Both apps side by side (idle while the other is measured), rate by rate, each until it is not sustained.

    Interleaving the two keeps the comparison fair on a machine whose other load changes over the run.
    `database_pids` (the postmaster) are counted in each stage's CPU per event. With `first_contact_rate`, each
    app first meets every one of its users in a stage of its own at that rate (reported apart). The bot climbs
    twice, interleaved: on TEXTS in rotation (repeated: what every cache keyed by a message's text holds after the
    first few events, like rich-menu taps) and, with `distinct`, on texts never sent before (those caches missed);
    with `first_contacts`, it climbs a third time on repeated texts from users never seen before.
    """
    say = progress or (lambda _line: None)
    series = [
        ("bot", "repeated"),
        *([("bot", "first")] if first_contacts else []),
        *([("bot", "distinct")] if distinct else []),
        ("echo", "repeated"),
    ]
    stages: dict[tuple[str, str], list[Stage]] = {key: [] for key in series}
    new_texts = distinct_texts() if distinct else None  # read before anything is measured
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="madoguchi-load-")))
        emulator = stack.enter_context(Emulator())
        env = server_env(database_url, f"{emulator.url}/emulator/line")
        servers = {name: stack.enter_context(gunicorn(app, env, workers, threads, tmp / f"{name}.log"))
                   for name, app in APPS}  # fmt: skip
        emulator.wait_until_ready()
        generators = {}
        for prefix, (name, _app) in enumerate(APPS, 1):
            servers[name].wait_until_up()
            warm_up(servers[name], emulator, workers, threads, warm)
            generators[name] = Generator(emulator, name, prefix)
            stack.callback(generators[name].close)
        groups = {name: {"app": [servers[name].pid], "pg": list(database_pids), "emu": [emulator.pid]}
                  for name, _app in APPS}  # fmt: skip

        def measured(name: str, rate: float, length: float, texts: str = "repeated") -> Stage:
            before = _cpu_by_group(groups[name])
            generator, port = generators[name], servers[name].port
            stage = generator.send(port, rate, length, new_texts if texts == "distinct" else None, texts == "first")
            after = _cpu_by_group(groups[name])
            if stage.ok:
                stage.cpu = {g: (after[g] - before[g]) * 1000 / stage.ok for g in before}
                stage.cpu_ms = stage.cpu["app"] + (stage.cpu["pg"] if database_pids else 0.0)
            say(stage.row())
            return stage

        first: dict[str, Stage] = {}
        if first_contact_rate:
            for name, _app in APPS:
                first[name] = measured(name, first_contact_rate, USERS / first_contact_rate)
        active = list(series)
        for rate in rates:
            for name, texts in list(active):
                stage = measured(name, rate, seconds, texts)
                stages[name, texts].append(stage)
                if not stage.sustained:
                    active.remove((name, texts))
            if not active:
                break
        time.sleep(grace)  # for a late push (e.g. a retry after a reply that did arrive)
        leftover, notes, late_duplicates = emulator.collect([])["pushes"], [], 0
        for name, generator in generators.items():
            generator.finish(leftover)
            late_duplicates += generator.late_duplicates
            if generator.late:
                notes.append(f"{name}: {generator.late} late pushes ({generator.late_duplicates} duplicated)")
        violations = emulator.violations()
        pids = [emulator.pid, *(server.pid for server in servers.values())]
        for name, server in servers.items():
            errors = [line for line in server.log.read_text(errors="replace").splitlines() if "ERROR" in line]
            if errors:
                notes.append(f"{name}: {len(errors)} ERROR lines in its log, the first: {errors[0]}")
    bot, echo, new = stages["bot", "repeated"], stages["echo", "repeated"], stages.get(("bot", "distinct"))
    first_climb = stages.get(("bot", "first"), [])
    judged = verdict(bot, echo, first, new, first_climb)
    return Result(bot, echo, judged, violations, notes, late_duplicates, pids, first, new or [], first_climb)


def _cpu_by_group(groups: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds so far of each group of processes, and of this process (the load generator) as "gen"."""
    return {**{name: cpu_seconds(pids) for name, pids in groups.items()}, "gen": time.process_time()}


def postmaster_pid(data_dir: Path) -> int | None:
    """The PostgreSQL server's pid (first line of postmaster.pid), or None if it cannot be read."""
    try:
        return int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for each app (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="gthread threads per worker (default 4)")
    parser.add_argument("--seconds", type=float, default=STAGE_SECONDS, help="length of each stage")
    parser.add_argument("--rates", default=",".join(map(str, RATES)), help="events/s, comma-separated")
    parser.add_argument("--fast-db", action="store_true", help="PostgreSQL without fsync (default: durable)")
    parser.add_argument("--first-rate", type=float, default=FIRST_CONTACT_RATE,
                        help="events/s of the stage meeting every user (0: none)")  # fmt: skip
    parser.add_argument("--repeated-only", action="store_true", help="the bot on repeated texts only")
    parser.add_argument("--no-first-climb", action="store_true", help="no first contacts in the climb")
    args = parser.parse_args(argv)
    rates = [float(r) for r in args.rates.split(",")]

    from bot.tools.demo import prepare_database
    from tests.support.postgres import postgres_cluster

    began = time.monotonic()
    print(f"== load: gunicorn -w {args.workers} --threads {args.threads} (gthread) + PostgreSQL 15 "
          f"({'fsync off' if args.fast_db else 'durable'}), {USERS:,} users, {args.seconds:g} s per rate, "
          f"{os.cpu_count()} CPUs, loopback", flush=True)  # fmt: skip
    with postgres_cluster(durable=not args.fast_db) as cluster:
        url = cluster.create_database("bench_load")
        prepare_database(url)
        print(HEADER, flush=True)
        pid = postmaster_pid(cluster.data)
        result = run_load(url, args.workers, args.threads, rates, args.seconds, lambda line: print(line, flush=True),
                          database_pids=(pid,) if pid else (), first_contact_rate=args.first_rate,
                          distinct=not args.repeated_only, first_contacts=not args.no_first_climb)  # fmt: skip
    for line in result.verdict.lines():
        print(line)
    refused = sum(s.refused for s in result.stages)
    print(f"lost {result.lost}, duplicated {result.duplicated} (must be 0); refused replies {refused}, "
          f"emulator violations {result.violations}")  # fmt: skip
    for note in result.notes:
        print(note)
    print(f"({time.monotonic() - began:.0f} s)")
    return 0 if not result.lost and not result.duplicated else 1


if __name__ == "__main__":
    sys.exit(main())
