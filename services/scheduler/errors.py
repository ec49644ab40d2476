"""The scheduler's errors: one root, `SchedulerError`, each error also under the shared.core.errors
class that says its HTTP status. The pure domain raises these too (SchedulerDomainError and the
rule files' errors)."""
from __future__ import annotations

from shared.core.errors import ConfigurationError, Conflict, Forbidden, HuifangError, InvalidInput, NotFound


class SchedulerError(HuifangError):
    """Root of every error the scheduler raises on purpose."""


class SchedulerDomainError(InvalidInput, SchedulerError):
    """A scheduling rule cannot be applied to the input (HTTP 422); ``field`` names the input at fault, if any."""


class RuleFileError(SchedulerDomainError):
    """An organisation's rule file is malformed; ``field`` is the dotted path of the bad value.

    A fault of the organisation's data, not of the request: HTTP 500 (logged), like a
    `shared.core.errors.ConfigurationError`.
    """

    status, title = ConfigurationError.status, ConfigurationError.title


class PolicyError(RuleFileError):
    """A callback policy (回访策略) is malformed; ``field`` is its dotted path."""


class QuestionnaireError(RuleFileError):
    """A questionnaire file is malformed; ``field`` is the dotted path of the bad value."""


class CallbackNotFound(NotFound, SchedulerError):
    """No callback task with that id in the caller's organisation."""


class NotYourCallback(Forbidden, SchedulerError):
    """An agent may record only their own callbacks, or an unassigned one of their business line (403)."""


class CallbackClosed(Conflict, SchedulerError):
    """The callback task is no longer open; its outcome cannot be recorded again."""


class OutcomeInvalid(InvalidInput, SchedulerError):
    """The answers do not fit the callback's questionnaire; ``errors`` names each bad field."""


class LedgerFileInvalid(InvalidInput, SchedulerError):
    """An uploaded ledger cannot be imported; ``errors`` names each bad row and column (or the file)."""


class UnknownPolicy(InvalidInput, SchedulerError):
    """No callback policy of that name for the organisation (field `policy`)."""


class PhonesNotShown(Forbidden, SchedulerError):
    """The caller's role may not see customers' phone numbers (RULES 1.4)."""


class ImportNotFound(NotFound, SchedulerError):
    """No ledger import with that id in the caller's organisation."""


class ImportNotReady(Conflict, SchedulerError):
    """The ledger import is not a finished, clean dry run: it cannot be run for real now."""


class CustomerNotFound(NotFound, SchedulerError):
    """No customer with that id in the caller's organisation."""


class FlagNotSet(Conflict, SchedulerError):
    """The customer carries no special mark (特殊标记) to lift."""


class NotInReviewQueue(InvalidInput, SchedulerError):
    """The callback record is not in the reviewer role's queue for its period (field `callback_id`)."""


class ReviewTaken(Conflict, SchedulerError):
    """Another reviewer of the same role gave this record its verdict; only they may change it."""


class LeadNotFound(NotFound, SchedulerError):
    """No lead with that id in the caller's organisation."""


class LeadClosed(Conflict, SchedulerError):
    """The lead cannot move to that state from where it is (won and lost are ends)."""


class NotYourLead(Forbidden, SchedulerError):
    """Only the lead's owner, or a supervisor, manager or admin, moves it on."""


class UnknownPerson(InvalidInput, SchedulerError):
    """The agent or owner named is nobody active of the organisation's directory (the field names it)."""


class ChannelUnchanged(Conflict, SchedulerError):
    """The callback is on that channel already (switched to on-site before)."""


class NotLapsed(Conflict, SchedulerError):
    """The customer is not lapsed in that business line (served within its months, unknown there, or
    declining callbacks): no "why not back" callback for them."""
