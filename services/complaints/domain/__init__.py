"""Complaint routing rules (RULES 2), pure: no Flask, Dramatiq or peewee here.

- chain: escalation chains (投诉处理的职能层次) and who may act at which level;
- policy: the 2-1-1 deadlines as data;
- complaint: the Complaint state and its history; raising: raise, a repeat found; transitions:
  reply, hand over, escalate...; resolution: resolve, the verification result; deadlines:
  pending deadlines and the sweep; each transition returns an Outcome (new state, events, actions);
- reminders: notices before a deadline; repeat: repeat complaints;
- data: the packaged chains and policies under ``services/complaints/data/``.
"""
from .chain import Chain, Level, can_act, level_for_role, load_chain
from .complaint import Action, Complaint, HistoryEntry, Outcome
from .deadlines import (missed_deadlines, next_sweep_at, pending_deadlines, provisional_deadlines, replan_deadlines,
                        sweep)
from ..errors import ComplaintsError, Forbidden, InvalidData, InvalidInput, InvalidTransition
from .policy import ComplaintPolicy, ServiceTime, load_policy
from .raising import found_repeat, raise_complaint
from .reminders import Reminder, reminders_due
from .repeat import is_repeat
from .resolution import resolve, verification_result
from .transitions import (escalate, record_churn, record_handover, record_investigation, record_reply,
                          record_rework)

__all__ = [
    "Action", "Chain", "Complaint", "ComplaintsError", "ComplaintPolicy", "Forbidden",
    "HistoryEntry", "InvalidData", "InvalidInput", "InvalidTransition", "Level", "Outcome",
    "Reminder", "ServiceTime", "can_act", "escalate", "is_repeat", "level_for_role",
    "load_chain", "load_policy", "missed_deadlines", "next_sweep_at", "pending_deadlines",
    "found_repeat", "raise_complaint", "record_churn", "record_handover", "record_investigation", "record_reply",
    "reminders_due", "resolve", "sweep", "verification_result", "provisional_deadlines", "replan_deadlines",
    "record_rework",
]
