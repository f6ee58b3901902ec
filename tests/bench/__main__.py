"""Run every benchmark and print its figures (`make bench`; the load benchmark is `make bench-load`)."""

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # as bot/__init__.py sets them
    os.environ.setdefault(_variable, "1")

from tests.bench import admin, booking, retrieval, stages, webhook  # noqa: E402 (after the thread settings)

if __name__ == "__main__":
    print("== retrieval (one core, synthetic entries; naive = rapidfuzz WRatio over all paraphrases)")
    for line in retrieval.run():
        print(line)
    print("\n== booking (1,000 slots and 10,000 bookings in the database)")
    for line in booking.run():
        print(line)
    print("\n== webhook (1,000 text events, one at a time, through a real HTTP server with the emulator)")
    for line in webhook.run():
        print(line)
    print("\n== one webhook event, stage by stage (CPU of the handling thread; retrieval on lines of its own)")
    for line in stages.run():
        print(line)
    print("\n== admin pages (render time through the test client)")
    for line in admin.run():
        print(line)
