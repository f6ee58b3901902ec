"""Day-to-day operations: the coordinator console, consultation slots and bookings, undeliverable messages (outbox)
and staff-tunable settings. Imports `bot` services and domain packages.
"""
