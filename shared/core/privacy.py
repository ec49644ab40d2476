"""Customer data is confidential (RULES 1.4): only the people who need phone numbers see them."""
from __future__ import annotations

#: Roles that call customers or supervise those who do; everyone else sees masked numbers.
SEES_PHONES = frozenset({"agent", "supervisor", "manager", "admin", "integration"})


def mask_phone(phone: str | None) -> str | None:
    """Gives the number with its middle digits hidden: 13812345678 -> 138****5678."""
    if not phone:
        return phone
    digits = str(phone)
    if len(digits) <= 4:
        return "*" * len(digits)
    # Long numbers keep their prefix (the carrier), short ones only their last four digits.
    keep_head = 3 if len(digits) >= 8 else 0
    return digits[:keep_head] + "*" * (len(digits) - keep_head - 4) + digits[-4:]


def phone_for(role: str, phone: str | None) -> str | None:
    """Gives the phone as the role may see it."""
    return phone if role in SEES_PHONES else mask_phone(phone)
