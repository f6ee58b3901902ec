"""The conversation: the dispatcher that owns the order of handlers, typed-text routing, answers and cards, menus,
crisis replies, language, every user-facing string (`texts`), the per-user throttle and the guided paths (`flows/`).

May import `intents`, `knowledge`, `bot.platform`, `bot.line.messages` (to build messages) and the domain services
(`bot.booking`, `bot.handoff`); the LINE transport never imports this package.
"""
