"""The LINE edge: webhook transport, event parsing, the Messaging API gateway, the outbox and its sender, message
building within LINE's limits, the rich menu, and the emulator (a local LINE platform and chat simulator).

May import `bot.platform` and the standard/third-party libraries; never `bot.dialogue` or the domain services: what
to answer is decided elsewhere and reaches the webhook as the event handler the app wires in.
"""
