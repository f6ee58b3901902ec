"""Every entry point runs numerical libraries on one thread (an idle OpenBLAS thread doubled CPU per event)."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = (
    "import bot, numpy; from threadpoolctl import threadpool_info; "
    "print(max(i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'))"
)


def test_importing_the_bot_first_keeps_blas_on_one_thread():
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"


def test_an_operator_can_still_choose_more_threads():
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2"}
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "2"
