"""Masking phone numbers, e-mail addresses and LINE user ids in log records (the web app, worker and CLI).

`install_log_masking()` adds one `PersonalDataFilter` to every handler configured so far (the root logger's,
other loggers' such as gunicorn's, and logging's last-resort handler): a filter on a handler sees every record
that reaches it, whichever logger it came from. Call it after logging is configured; calling again is harmless.
"""

from __future__ import annotations

import logging

from knowledge.privacy import mask_personal_data


class PersonalDataFilter(logging.Filter):
    """Rewrite a record's message (with its arguments), traceback and stack with personal data masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let the handler report it as usual
            return True
        record.msg, record.args = mask_personal_data(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        return True


FILTER = PersonalDataFilter()


def install_log_masking() -> int:
    """Add the filter to every configured handler that lacks it; returns how many handlers got it."""
    handlers = list(logging.getLogger().handlers)
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            handlers.extend(logger.handlers)
    if logging.lastResort is not None:
        handlers.append(logging.lastResort)
    added = 0
    for handler in handlers:
        if not any(isinstance(f, PersonalDataFilter) for f in handler.filters):
            handler.addFilter(FILTER)
            added += 1
    return added
