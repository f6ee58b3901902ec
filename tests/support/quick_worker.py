"""`madoguchi worker` whose notice job runs every second instead of every 10 s: `python -m tests.support.quick_worker`.

For tests that wait for the worker to pick a notice up (twice when it is killed and restarted): the same command,
scheduler and job, only the interval is shorter.
"""

from __future__ import annotations

from bot.notices import jobs

SECONDS = 1


def main() -> None:
    from bot.cli import main as cli

    jobs.JOBS = tuple((job, min(seconds, SECONDS)) for job, seconds in jobs.JOBS)
    cli(["worker"], prog_name="madoguchi")


if __name__ == "__main__":
    main()
