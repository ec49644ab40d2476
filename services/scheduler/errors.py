"""The scheduler's errors, each under a shared.errors class (its HTTP status); see also domain/errors.py."""
from __future__ import annotations

from shared.errors import Conflict, InvalidInput, NotFound


class CallbackNotFound(NotFound):
    """No callback task with that id in the caller's organisation."""


class CallbackClosed(Conflict):
    """The callback task is no longer open; its outcome cannot be recorded again."""


class OutcomeInvalid(InvalidInput):
    """The answers do not fit the callback's questionnaire; ``errors`` names each bad field."""


class LedgerFileInvalid(InvalidInput):
    """An uploaded ledger cannot be imported; ``errors`` names each bad row and column (or the file)."""
