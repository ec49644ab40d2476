"""The scheduler's errors, each under a shared.core.errors class (its HTTP status); see also domain/errors.py."""
from __future__ import annotations

from shared.core.errors import Conflict, Forbidden, InvalidInput, NotFound


class CallbackNotFound(NotFound):
    """No callback task with that id in the caller's organisation."""


class NotYourCallback(Forbidden):
    """An agent may record only their own callbacks, or an unassigned one of their business line (403)."""


class CallbackClosed(Conflict):
    """The callback task is no longer open; its outcome cannot be recorded again."""


class OutcomeInvalid(InvalidInput):
    """The answers do not fit the callback's questionnaire; ``errors`` names each bad field."""


class LedgerFileInvalid(InvalidInput):
    """An uploaded ledger cannot be imported; ``errors`` names each bad row and column (or the file)."""


class UnknownPolicy(InvalidInput):
    """No callback policy of that name for the organisation (field `policy`)."""


class PhonesNotShown(Forbidden):
    """The caller's role may not see customers' phone numbers (RULES 1.4)."""


class ImportNotFound(NotFound):
    """No ledger import with that id in the caller's organisation."""


class ImportNotReady(Conflict):
    """The ledger import is not a finished, clean dry run: it cannot be run for real now."""


class CustomerNotFound(NotFound):
    """No customer with that id in the caller's organisation."""


class FlagNotSet(Conflict):
    """The customer carries no special mark (特殊标记) to lift."""


class NotInReviewQueue(InvalidInput):
    """The callback record is not in the reviewer role's queue for its period (field `callback_id`)."""


class ReviewTaken(Conflict):
    """Another reviewer of the same role gave this record its verdict; only they may change it."""
