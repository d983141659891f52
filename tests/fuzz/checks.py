"""What every fuzzed answer is checked for: no 500, no exception logged, no English message or trace."""

from __future__ import annotations

import logging
import re

# English messages WTForms or Python would show if a message were left untranslated, and traces of exceptions.
ENGLISH = re.compile(
    r"This field is required|Not a valid|Invalid (?:Choice|choice|email|input|URL|value|field|date)|"
    r"Field must be|Number must be|is not a valid choice|CSRF token|must be equal to|Choices cannot be|"
    r"Traceback|NoneType|has no attribute|invalid literal|could not convert|InvalidOperation|ConversionSyntax|"
    r"IntegrityError|UNIQUE constraint|violates|psycopg|sqlalchemy|ValueError|TypeError|KeyError"
)


class ErrorLog(logging.Handler):
    """Keep the ERROR records logged while an example runs (an exception caught by the 500 handler is one)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
