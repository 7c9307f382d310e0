"""The timeline's audit chain: keyed, covering the complaint's state, anchored outside the database.

Every timeline event is written by `append_event` (and nothing else). Its `hash` is an HMAC-SHA256
with `AUDIT_KEY` (a setting, never stored in the database) over

* the event's own fields (complaint id, seq, actor, action, statuses, note, data, time),
* the previous event's hash (the chain), and
* `state`: the complaint's audited fields (`STATE_FIELDS`) as they are after the event.

`complaint.audit_seq` is the head counter: the seq of the timeline's last event. So, without the key,
someone with SQL access cannot edit an event and recompute the chain, reorder or insert events, delete
the last event, delete a whole timeline while the complaint row stays, or edit the complaint row
(status, amounts, rating, ...) so that it differs from its last event: `verify_all` reports each.

What needs an anchor outside the database (deleting the complaint row with its timeline; cutting the
last events and rewinding the row and the counter to match): `write_checkpoint` writes every
timeline's head (complaint id, seq, hash) into a file signed with Ed25519 (AUDIT_SIGNING_KEY_FILE);
`verify_all(..., checkpoint=...)` reports timelines deleted, truncated or rewritten since.

Events written before this chain (migration 0003_audit) are chain 1, the legacy unkeyed SHA-256; a
keyed event after them anchors them too. `reseal` turns a timeline whose head is still legacy into a
keyed one (the operator runs `smart315 audit reseal` once after upgrading).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from itertools import groupby
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.core.models import Complaint, ComplaintEvent, utcnow
from server.core.timeutil import to_iso

log = logging.getLogger("smart315.audit")

GENESIS_HASH = "0" * 64
CHAIN_LEGACY = 1
CHAIN_KEYED = 2
CHECKPOINT_FORMAT = "smart315-audit-checkpoint/1"

# The complaint's fields whose value after each event is part of that event's MAC. Only fields that
# change together with a timeline event belong here: mediation_cooperated and person_seen_at also change
# with a message, title/description/order_no are scrubbed when the consumer's account is erased,
# moderation has its own record, deadline_at is bookkeeping. publication_state changes with its event.
STATE_FIELDS: tuple[str, ...] = (
    "status", "consumer_id", "business_id", "business_name", "industry_code", "region_code", "category",
    "amount_claimed_fen", "amount_recovered_fen", "rating", "rated_at", "outcome", "index_excluded",
    "accepted_at", "forwarded_at", "first_response_at", "response_deadline_at", "mediating_at",
    "went_to_mediation", "settled_directly", "ended_at", "closed_at", "publication_state",
)


class AuditError(Exception):
    """The audit chain cannot do what was asked (no key, an unusable or forged checkpoint)."""


# ------------------------------------------------------------------ keys

def audit_key(settings: Mapping[str, Any]) -> bytes:
    key = settings.get("AUDIT_KEY")
    if not key:
        raise AuditError("AUDIT_KEY is not set")
    return str(key).encode("utf-8")


def is_development(settings: Mapping[str, Any]) -> bool:
    env = settings.get("SMART315_ENV") or os.environ.get("SMART315_ENV") or "production"
    return env == "development" or bool(settings.get("SMART315_TESTING"))


def generate_signing_key(path: str | Path) -> Path:
    """Write a new Ed25519 private key (PEM, mode 0600); refuses to overwrite an existing file."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return path


def signing_key(settings: Mapping[str, Any]):
    """The checkpoint signing key from AUDIT_SIGNING_KEY_FILE; generated on first use in development only."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = Path(settings.get("AUDIT_SIGNING_KEY_FILE") or "")
    if not settings.get("AUDIT_SIGNING_KEY_FILE"):
        raise AuditError("AUDIT_SIGNING_KEY_FILE is not set")
    if not path.exists():
        if not is_development(settings):
            raise AuditError(f"audit signing key {path} does not exist: create it with `smart315 audit keygen`")
        try:
            generate_signing_key(path)
            log.warning("generated a development audit signing key at %s", path)
        except FileExistsError:
            pass  # another process generated it meanwhile
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditError(f"{path} is not an Ed25519 private key")
    return key


def public_key_pem(settings: Mapping[str, Any]) -> str:
    from cryptography.hazmat.primitives import serialization

    return signing_key(settings).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def _load_public_key(pem: str | bytes):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(pem.encode("ascii") if isinstance(pem, str) else pem)
    except ValueError as exc:
        raise AuditError(f"not a PEM public key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise AuditError("the public key is not an Ed25519 key")
    return key


def _key_id(public_key) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


# ------------------------------------------------------------------ the chain

def _plain(value: Any) -> Any:
    return to_iso(value) if isinstance(value, datetime) else value


def state_of(row: Any) -> dict[str, Any]:
    """The audited state of a complaint (an ORM object or a row with the same attribute names)."""
    return {name: _plain(getattr(row, name)) for name in STATE_FIELDS}


def keyed_mac(key: bytes, complaint_id: int, seq: int, actor_id: int | None, actor_role: str, action: str,
              from_status: str | None, to_status: str, note: str | None, data: dict | None, created_at: datetime,
              prev_hash: str, state: dict | None) -> str:
    canonical = json.dumps(
        [CHAIN_KEYED, complaint_id, seq, actor_id, actor_role, action, from_status, to_status, note or "",
         data or {}, to_iso(created_at), prev_hash, state],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    )
    return hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def legacy_hash(complaint_id: int, seq: int, actor_id: int | None, actor_role: str, action: str,
                from_status: str | None, to_status: str, note: str | None, data: dict | None,
                created_at: datetime, prev_hash: str) -> str:
    """Chain 1: the unkeyed SHA-256 of the first release (still written by bench/seed)."""
    canonical = json.dumps(
        [complaint_id, seq, actor_id, actor_role, action, from_status, to_status, note or "", data or {},
         to_iso(created_at), prev_hash],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _event_mac(key: bytes, ev: Any, state: dict | None = None, use_stored_state: bool = True) -> str:
    return keyed_mac(key, ev.complaint_id, ev.seq, ev.actor_id, ev.actor_role, ev.action, ev.from_status,
                     ev.to_status, ev.note, ev.data, ev.created_at, ev.prev_hash,
                     ev.state if use_stored_state else state)


def append_event(session: Session, settings: Mapping[str, Any] | None, complaint: Complaint, actor_id: int | None,
                 role: str, action: str, from_status: str | None, to_status: str, note: str | None,
                 data: dict | None, now: datetime, first: bool = False,
                 timeline: list[ComplaintEvent] | None = None) -> ComplaintEvent:
    """Append the next keyed event of the complaint's timeline: the only writer of timeline events.

    Call it after changing the complaint: the event's MAC covers the complaint's state as it is now.
    first / timeline: see complaints.actions._append_event.
    """
    if settings is None:
        raise AuditError("a timeline event needs the settings (AUDIT_KEY)")
    key = audit_key(settings)
    if timeline is not None:
        last = (timeline[-1].seq, timeline[-1].hash) if timeline else None
    else:
        last = None if first else session.execute(
            select(ComplaintEvent.seq, ComplaintEvent.hash)
            .where(ComplaintEvent.complaint_id == complaint.id)
            .order_by(ComplaintEvent.seq.desc())
            .limit(1)
        ).first()
    seq = (last[0] + 1) if last else 1
    prev = last[1] if last else GENESIS_HASH
    data = data or {}
    now = now.replace(microsecond=0)
    state = state_of(complaint)
    ev = ComplaintEvent(
        complaint_id=complaint.id, seq=seq, actor_id=actor_id, actor_role=role, action=action,
        from_status=from_status, to_status=to_status, note=note, data=data, created_at=now, prev_hash=prev,
        chain=CHAIN_KEYED, state=state,
        hash=keyed_mac(key, complaint.id, seq, actor_id, role, action, from_status, to_status, note, data, now,
                       prev, state),
    )
    complaint.audit_seq = seq
    session.add(ev)
    session.flush()
    if timeline is not None:
        timeline.append(ev)
    return ev


# ------------------------------------------------------------------ verification

_EVENT_COLS = (ComplaintEvent.complaint_id, ComplaintEvent.seq, ComplaintEvent.actor_id, ComplaintEvent.actor_role,
               ComplaintEvent.action, ComplaintEvent.from_status, ComplaintEvent.to_status, ComplaintEvent.note,
               ComplaintEvent.data, ComplaintEvent.created_at, ComplaintEvent.prev_hash, ComplaintEvent.hash,
               ComplaintEvent.chain, ComplaintEvent.state)
_COMPLAINT_COLS = (Complaint.id, Complaint.audit_seq, *(getattr(Complaint, n) for n in STATE_FIELDS))


def _check_events(key: bytes, evs: list[Any]) -> tuple[list[dict[str, Any]], bool]:
    """Each event's link, sequence and MAC (or legacy hash); (broken entries, whether any event is keyed)."""
    broken = []
    prev_hash, prev_seq, keyed = GENESIS_HASH, 0, False
    for ev in evs:
        problems = []
        if ev.seq != prev_seq + 1:
            problems.append(f"sequence gap: expected {prev_seq + 1}, found {ev.seq}")
        if ev.prev_hash != prev_hash:
            problems.append("link to previous event broken")
        chain = ev.chain or CHAIN_LEGACY
        if chain == CHAIN_KEYED:
            keyed = True
            ok = hmac.compare_digest(_event_mac(key, ev), ev.hash or "")
        elif chain == CHAIN_LEGACY:
            if keyed:
                problems.append("legacy (unkeyed) event after a keyed one: the chain was downgraded")
            ok = legacy_hash(ev.complaint_id, ev.seq, ev.actor_id, ev.actor_role, ev.action, ev.from_status,
                             ev.to_status, ev.note, ev.data, ev.created_at, ev.prev_hash) == ev.hash
        else:
            ok = False
            problems.append(f"unknown chain version {chain}")
        if not ok:
            problems.append("event content does not match its hash")
        if problems:
            broken.append({"complaint_id": ev.complaint_id, "seq": ev.seq, "problems": problems})
        prev_hash, prev_seq = ev.hash, ev.seq
    return broken, keyed


def _state_diff(row_state: dict[str, Any], event_state: dict[str, Any]) -> list[str]:
    return [f"{name}: {row_state.get(name)!r} in the row, {event_state[name]!r} after the last event"
            for name in sorted(event_state) if row_state.get(name) != event_state[name]]


def _check_head(row: Any | None, evs: list[Any], head_keyed: bool) -> list[str]:
    """The complaint row against its timeline: head counter, state after the last event."""
    if row is None:
        return ["events without their complaint row"]
    if not evs:
        return [f"timeline missing: the complaint has no events (head counter {row.audit_seq})"]
    head = evs[-1]
    problems = []
    if (head.chain or CHAIN_LEGACY) != CHAIN_KEYED:
        if row.audit_seq:
            problems.append(f"keyed timeline downgraded to the legacy chain (head counter {row.audit_seq})")
        return problems
    if row.audit_seq > head.seq:
        problems.append(f"last events deleted: head counter {row.audit_seq}, last event {head.seq}")
    elif row.audit_seq < head.seq:
        problems.append(f"head counter {row.audit_seq} behind the last event {head.seq}: events inserted")
    diff = _state_diff(state_of(row), head.state or {}) if isinstance(head.state, dict) else ["no state"]
    if diff:
        problems.append("complaint row differs from its last event (" + "; ".join(diff) + ")")
    return problems


def _check_against(cp_head: tuple[int, str] | None, evs: list[Any]) -> list[str]:
    if cp_head is None:
        return []
    cp_seq, cp_hash = cp_head
    if not evs:
        return [f"timeline deleted since the checkpoint (it had {cp_seq} events)"]
    at = next((ev for ev in evs if ev.seq == cp_seq), None)
    if at is None:
        return [f"timeline truncated since the checkpoint: {cp_seq} events then, last event now {evs[-1].seq}"]
    if at.hash != cp_hash:
        return [f"event {cp_seq} (the head at the checkpoint) changed since the checkpoint"]
    return []


def verify_all(session: Session, settings: Mapping[str, Any], batch: int = 5000,
               checkpoint: Mapping[str, Any] | None = None, allow_legacy: bool = False) -> dict[str, Any]:
    """Every timeline and complaint row; with a (verified) checkpoint, also what changed since.

    Report: checked (events), timelines, keyed, legacy (timelines whose head is still unkeyed; `broken`
    only lists real damage, a legacy timeline fails the run unless allow_legacy), broken.
    """
    key = audit_key(settings)
    cp_heads: dict[int, tuple[int, str]] = {}
    if checkpoint is not None:
        cp_heads = {int(cid): (int(seq), str(h)) for cid, seq, h in checkpoint["heads"]}
    broken: list[dict[str, Any]] = []
    legacy: list[int] = []
    counts = {"checked": 0, "timelines": 0, "keyed": 0}

    def check(row: Any | None, evs: list[Any]) -> None:
        cid = row.id if row is not None else evs[0].complaint_id
        counts["checked"] += len(evs)
        counts["timelines"] += 1
        ev_broken, _ = _check_events(key, evs)
        broken.extend(ev_broken)
        head_keyed = bool(evs) and (evs[-1].chain or CHAIN_LEGACY) == CHAIN_KEYED
        problems = _check_head(row, evs, head_keyed)
        problems += _check_against(cp_heads.pop(cid, None), evs)
        if problems:
            broken.append({"complaint_id": cid, "seq": evs[-1].seq if evs else None, "problems": problems})
        if head_keyed:
            counts["keyed"] += 1
        elif evs and row is not None and not row.audit_seq:
            legacy.append(cid)

    complaints = iter(session.execute(select(*_COMPLAINT_COLS).order_by(Complaint.id)
                                      .execution_options(yield_per=batch)))
    events = session.execute(select(*_EVENT_COLS).order_by(ComplaintEvent.complaint_id, ComplaintEvent.seq)
                             .execution_options(yield_per=batch))
    row = next(complaints, None)
    for cid, group in groupby(events, key=lambda e: e.complaint_id):
        while row is not None and row.id < cid:
            check(row, [])
            row = next(complaints, None)
        if row is not None and row.id == cid:
            check(row, list(group))
            row = next(complaints, None)
        else:
            check(None, list(group))
    while row is not None:
        check(row, [])
        row = next(complaints, None)
    for cid, (seq, _) in sorted(cp_heads.items()):  # in the checkpoint, gone from the database
        broken.append({"complaint_id": cid, "seq": None,
                       "problems": [f"complaint and its timeline deleted since the checkpoint (it had {seq} events)"]})
    broken.sort(key=lambda b: (b["complaint_id"], b["seq"] is None, b["seq"] or 0))
    report: dict[str, Any] = {**counts, "legacy": len(legacy), "legacy_sample": legacy[:20], "broken": broken}
    if checkpoint is not None:
        report["checkpoint"] = {"created_at": checkpoint.get("created_at"), "heads": len(checkpoint["heads"]),
                                "key_id": checkpoint.get("key_id")}
    report["ok"] = not broken and (allow_legacy or not legacy)
    return report


# ------------------------------------------------------------------ reseal

def reseal(session: Session, settings: Mapping[str, Any], batch: int = 500) -> dict[str, Any]:
    """Put every timeline whose head is still a legacy (unkeyed) event on the keyed chain.

    The legacy chain is checked first; a broken one is left alone and listed. The head event is
    rewritten as a keyed event (same content, same link to its predecessor, MAC with AUDIT_KEY over the
    complaint's current state), which anchors the whole legacy prefix under the key, and the head
    counter is set. Trusts the database as it is now: run it once, right after upgrading. Commits in
    batches.
    """
    key = audit_key(settings)
    heads = (select(ComplaintEvent.complaint_id, func.max(ComplaintEvent.seq).label("seq"))
             .group_by(ComplaintEvent.complaint_id).subquery())
    todo = [cid for (cid,) in session.execute(
        select(ComplaintEvent.complaint_id)
        .join(heads, (heads.c.complaint_id == ComplaintEvent.complaint_id) & (heads.c.seq == ComplaintEvent.seq))
        .where(ComplaintEvent.chain != CHAIN_KEYED).order_by(ComplaintEvent.complaint_id))]
    resealed, refused = 0, []
    for start in range(0, len(todo), batch):
        ids = todo[start:start + batch]
        complaints = {c.id: c for c in session.execute(select(Complaint).where(Complaint.id.in_(ids))).scalars()}
        evs_by = {cid: list(g) for cid, g in groupby(session.execute(
            select(ComplaintEvent).where(ComplaintEvent.complaint_id.in_(ids))
            .order_by(ComplaintEvent.complaint_id, ComplaintEvent.seq)).scalars(), key=lambda e: e.complaint_id)}
        for cid in ids:
            complaint, evs = complaints.get(cid), evs_by.get(cid, [])
            ev_broken, keyed = _check_events(key, evs)
            if complaint is None or not evs or ev_broken or keyed or complaint.audit_seq:
                refused.append({"complaint_id": cid, "problems": [p for b in ev_broken for p in b["problems"]]
                                or ["not a legacy timeline (head counter set or keyed events)"]})
                continue
            head = evs[-1]
            head.state = state_of(complaint)
            head.chain = CHAIN_KEYED
            head.hash = _event_mac(key, head)
            complaint.audit_seq = head.seq
            resealed += 1
        session.commit()
    return {"resealed": resealed, "refused": refused}


# ------------------------------------------------------------------ checkpoints

def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def timeline_heads(session: Session, batch: int = 5000) -> Iterable[tuple[int, int, str]]:
    heads = (select(ComplaintEvent.complaint_id, func.max(ComplaintEvent.seq).label("seq"))
             .group_by(ComplaintEvent.complaint_id).subquery())
    stmt = (select(ComplaintEvent.complaint_id, ComplaintEvent.seq, ComplaintEvent.hash)
            .join(heads, (heads.c.complaint_id == ComplaintEvent.complaint_id) & (heads.c.seq == ComplaintEvent.seq))
            .order_by(ComplaintEvent.complaint_id).execution_options(yield_per=batch))
    for cid, seq, h in session.execute(stmt):
        yield int(cid), int(seq), h


def build_checkpoint(session: Session, settings: Mapping[str, Any], now: datetime | None = None) -> bytes:
    """The signed checkpoint document of every timeline's head, as bytes (JSON)."""
    key = signing_key(settings)
    payload = {
        "format": CHECKPOINT_FORMAT,
        "created_at": to_iso(now or utcnow()),
        "key_id": _key_id(key.public_key()),
        "heads": [list(h) for h in timeline_heads(session)],
    }
    signature = base64.b64encode(key.sign(_canonical(payload))).decode("ascii")
    return json.dumps({"payload": payload, "signature": signature}, ensure_ascii=False).encode("utf-8") + b"\n"


def write_checkpoint(session: Session, settings: Mapping[str, Any], out: str | Path | None = None,
                     now: datetime | None = None, label: str | None = None) -> tuple[Path, str]:
    """Write a checkpoint to `out` (or a timestamped file in AUDIT_CHECKPOINT_DIR, `label` in its name);
    (path, sha256 of its bytes)."""
    now = now or utcnow()
    data = build_checkpoint(session, settings, now)
    if out is None:
        directory = Path(settings.get("AUDIT_CHECKPOINT_DIR") or "")
        if not settings.get("AUDIT_CHECKPOINT_DIR"):
            raise AuditError("AUDIT_CHECKPOINT_DIR is not set")
        directory.mkdir(parents=True, exist_ok=True)
        out = directory / f"audit-checkpoint-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}{'-' + label if label else ''}.json"
    out = Path(out)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, out)
    return out, hashlib.sha256(data).hexdigest()


def load_checkpoint(data: bytes, public_key_pem: str | bytes) -> dict[str, Any]:
    """The checkpoint's payload once its signature verifies with the given public key; AuditError otherwise.

    The key must come from the operator (the published public key, or the signing key file), never
    from the checkpoint itself: anyone can sign a forged checkpoint with a key of their own.
    """
    from cryptography.exceptions import InvalidSignature

    public_key = _load_public_key(public_key_pem)
    try:
        doc = json.loads(data)
        payload, signature = doc["payload"], base64.b64decode(doc["signature"], validate=True)
        if payload.get("format") != CHECKPOINT_FORMAT or not isinstance(payload.get("heads"), list):
            raise ValueError("not a Smart315 audit checkpoint")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise AuditError(f"unreadable checkpoint: {exc}") from exc
    try:
        public_key.verify(signature, _canonical(payload))
    except InvalidSignature as exc:
        raise AuditError("checkpoint signature does not verify with the given public key: refused") from exc
    return payload
