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
        Transition("reject", ("submitted",), "mediator", "rejected", note_required=True),
        Transition("respond", ("forwarded",), "business", "responded", note_required=True, event_type="complaint.responded"),
        Transition("propose", ("mediating",), "business", None, note_required=True),
        Transition("confirm", ("responded",), "consumer", "resolved", event_type="complaint.resolved"),
        Transition("dispute", ("responded",), "consumer", "mediating", event_type="complaint.mediating"),
        Transition("mediate_success", ("mediating",), "mediator", "resolved", event_type="complaint.resolved"),
        Transition("mediate_fail", ("mediating",), "mediator", "unresolved", note_required=True, event_type="complaint.unresolved"),
        Transition("withdraw", OPEN_STATES, "consumer", "withdrawn"),
        Transition("rate", ("resolved", "unresolved"), "consumer", "closed"),
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
        # The consumer erased the account (server.core.erasure); the reason is the event's note.
        Transition("withdraw", OPEN_STATES, "system", "withdrawn"),
    )
}

ACTIONS = tuple(USER_TRANSITIONS)
