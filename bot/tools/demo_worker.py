"""The demo's scheduler process: `madoguchi worker` that ends with the demo.

Its stdin is a pipe from the demo. When the demo exits in any way, even by SIGKILL, the kernel closes the pipe;
this process sees end-of-file and stops the way SIGTERM stops a worker, letting go of the leader lock, so a
stopped demo never leaves a worker behind holding it.
"""

from __future__ import annotations

import os
import signal
import sys
import threading


def watch_parent(stream=None) -> threading.Thread:
    """Stop this process (SIGTERM to itself) once `stream` (stdin) reaches end-of-file: the parent is gone."""

    def wait() -> None:
        try:
            (stream or sys.stdin.buffer).read()
        except (OSError, ValueError):
            pass
        os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=wait, name="demo-parent-watch", daemon=True)
    thread.start()
    return thread


def main() -> None:
    """Watch the parent, then run `madoguchi worker`."""
    from bot.cli import main as cli
    from bot.tools.demo import quiet_routine_logs

    watch_parent()
    quiet_routine_logs()
    cli(["worker"], prog_name="madoguchi")


if __name__ == "__main__":
    main()
