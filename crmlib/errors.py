"""The one exception type users see: a message that says what is wrong and what to do."""

from __future__ import annotations


class CrmInputError(ValueError):
    """Bad input: a missing column, an unreadable file, a threshold out of range, ...

    The message is written for the analyst: it names the table or parameter, what was found,
    and how to fix it. Notebooks, apps and the CLI show it as is, without a traceback.
    """


class EmptyResultError(CrmInputError):
    """A filter or threshold left nothing to analyse."""
