"""madoguchi: the LINE front desk of a civic-activity support centre."""

import os
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"  # staff-editable data: centre profile, guided paths, crisis lines

# Numerical libraries on one thread, set before numpy is first imported (every entry point imports this package
# first: the web app, the worker, the demo, `ask` and `eval`). The retrievers and the intent model multiply small
# matrices; a second OpenBLAS thread (its default on 2 cores) spins idle after each product and doubled the web
# process's CPU per text event (25 → 54 ms, tests/bench/stages.py). The semantic retriever runs its own engine on
# one thread.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
