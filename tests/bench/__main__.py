"""Run every benchmark and print its figures (`make bench`; the load benchmark is `make bench-load`)."""

from tests.bench import admin, booking, retrieval, webhook

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
    print("\n== admin pages (render time through the test client)")
    for line in admin.run():
        print(line)
