"""RFC 3464 delivery status notifications (also RFC 6533 ``message/global-delivery-status``).

One ``Finding`` per recipient block whose Action is failed or delayed (delivered, relayed
and expanded blocks are not bounces). The Status field is the enhanced code; when it only
says ``X.0.0`` and the Diagnostic-Code names a finer code of the same class, that one is
used (Exchange and some appliances put the real reason only in the diagnostic).
"""

from __future__ import annotations

from email.message import Message

from adapters.bounces.mail import first_lines, header_text, status_blocks, typed_value
from domain.bounces.classify import find_enhanced, find_reply
from domain.bounces.report import REASON_MAX, Finding

STATUS_TYPES = ("message/delivery-status", "message/global-delivery-status")
NOT_BOUNCES = frozenset({"delivered", "relayed", "expanded"})


def status_part(msg: Message) -> Message | None:
    for part in msg.walk():
        if part.get_content_type() in STATUS_TYPES:
            return part
    return None


def findings(msg: Message) -> list[Finding]:
    part = status_part(msg)
    if part is None:
        return []
    out = []
    for block in status_blocks(part):
        recipient = header_text(block, "Final-Recipient") or header_text(block, "Original-Recipient")
        if not recipient:
            continue  # the per-message block
        action = header_text(block, "Action").lower() or None
        if action in NOT_BOUNCES:
            continue
        out.append(_finding(typed_value(recipient).lower(), action, block))
    return out


def _finding(email: str, action: str | None, block: Message) -> Finding:
    diagnostic = typed_value(header_text(block, "Diagnostic-Code"))
    status = find_enhanced(header_text(block, "Status"))
    finer = find_enhanced(diagnostic)
    if status is not None and status.endswith(".0.0") and finer and finer[0] == status[0] and finer != status:
        status = finer
    if status is None:
        status = finer
    reason = diagnostic or first_lines(header_text(block, "Status"), 1)
    return Finding(email=email, status=status, reply=find_reply(diagnostic), action=action,
                   reason=reason[:REASON_MAX])
