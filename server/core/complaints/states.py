"""The transition table of API.md: which action, from which states, by which party, to which state."""
from __future__ import annotations

from dataclasses import dataclass

OPEN_STATES = ("submitted", "accepted", "forwarded", "responded", "mediating")
ENDED_STATES = ("resolved", "unresolved", "rejected", "withdrawn")
ALL_STATES = OPEN_STATES + ENDED_STATES + ("closed",)

# Parties: "consumer" (the complainant), "business" (staff of the complaint's business),
# "mediator" (mediator whose region contains the complaint, or admin), "system" (scheduler / routing).


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    party: str
    target: str | None  # None: the state does not change (e.g. propose in mediation)
    note_required: bool = False
    event_type: str | None = None  # the notification event it triggers


USER_TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("accept", ("submitted",), "mediator", "accepted"),
        Transition("reject", ("submitted",), "mediator", "rejected", note_required=True,
                   event_type="complaint.rejected"),
        Transition("respond", ("forwarded",), "business", "responded", note_required=True, event_type="complaint.responded"),
        Transition("propose", ("mediating",), "business", None, note_required=True),
        Transition("confirm", ("responded",), "consumer", "resolved", event_type="complaint.resolved"),
        Transition("dispute", ("responded",), "consumer", "mediating", event_type="complaint.mediating"),
        Transition("mediate_success", ("mediating",), "mediator", "resolved", event_type="complaint.resolved"),
        Transition("mediate_fail", ("mediating",), "mediator", "unresolved", note_required=True, event_type="complaint.unresolved"),
        Transition("withdraw", OPEN_STATES, "consumer", "withdrawn"),
        Transition("rate", ("resolved", "unresolved"), "consumer", "closed"),
        # API.md "The complete case". transfer: the complaint moves to another region's association.
        Transition("transfer", OPEN_STATES, "mediator", None, note_required=True, event_type="complaint.transferred"),
        # Once, within REOPEN_DAYS of its end, and not after a rejection or a withdrawal (see REOPEN_OUTCOMES).
        Transition("reopen", ("resolved", "closed"), "consumer", "mediating", note_required=True,
                   event_type="complaint.reopened"),
        # The clock stops (reason in PAUSE_REASONS) and starts again; the state does not change.
        Transition("pause", OPEN_STATES, "mediator", None, event_type="complaint.paused"),
        Transition("resume", OPEN_STATES, "mediator", None, event_type="complaint.resumed"),
        # A request for materials pauses the clock (reason materials) for MATERIALS_DAYS; the consumer's
        # supplement resumes it.
        Transition("request_materials", OPEN_STATES, "mediator", None, note_required=True,
                   event_type="complaint.materials_requested"),
        Transition("supplement", OPEN_STATES, "consumer", None, note_required=True,
                   event_type="complaint.supplemented"),
        # The consumer's answer to the fulfilment check (FULFILMENT_CHECK_DAYS after a resolution with an
        # amount or a promise), once, only after the check was sent: kept (the state stays), or not kept
        # (with a note) → back to mediation, and the settlement no longer counts as one in the index.
        Transition("fulfilled", ("resolved", "closed"), "consumer", None, event_type="complaint.fulfilled"),
        Transition("not_fulfilled", ("resolved", "closed"), "consumer", "mediating", note_required=True,
                   event_type="complaint.not_fulfilled"),
    )
}

SYSTEM_TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("forward", ("accepted",), "system", "forwarded", event_type="complaint.forwarded"),
        Transition("to_mediation", ("accepted",), "system", "mediating", event_type="complaint.mediating"),
        Transition("auto_accept", ("submitted",), "system", "accepted"),
        Transition("response_timeout", ("forwarded",), "system", "mediating", event_type="complaint.mediating"),
        Transition("confirm_timeout", ("responded",), "system", "resolved", event_type="complaint.resolved"),
        Transition("mediation_timeout", ("mediating",), "system", "unresolved", event_type="complaint.unresolved"),
        Transition("close", ENDED_STATES, "system", "closed"),
        Transition("deadline_reminder", ("forwarded",), "system", None, event_type="complaint.deadline_soon"),
        # Requested materials never came (MATERIALS_DAYS): not accepted / ended as rejected.
        Transition("materials_timeout", OPEN_STATES, "system", "rejected", event_type="complaint.rejected"),
        # The consumer erased the account (server.core.erasure); the reason is the event's note.
        Transition("withdraw", OPEN_STATES, "system", "withdrawn"),
        # The scheduler asks the consumer whether the settlement was kept (server/core/complaints/fulfilment.py).
        Transition("fulfilment_check", ("resolved", "closed"), "system", None, event_type="complaint.fulfilment_check"),
    )
}

ACTIONS = tuple(USER_TRANSITIONS)

# Why the clock stops (API.md): testing and appraisal (检测鉴定), materials the consumer is to supply
# (补正材料), more time the parties agreed on.
PAUSE_REASONS = ("testing", "materials", "agreed_extension")
# A closed complaint may be reopened when it had been resolved (a settlement not kept), not when it was
# rejected, withdrawn or ended unresolved.
REOPEN_OUTCOMES = ("resolved",)
# The answers to the fulfilment check (complaint.fulfilment).
FULFILMENT_ANSWERS = ("fulfilled", "not_fulfilled")
