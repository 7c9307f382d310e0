"""The audit trail survives someone with SQL access but without AUDIT_KEY (issue 15 item 7).

Each of the outside probe's nine SQL tamperings is done to a complaint with a full history, as a rogue
operator would (straight SQL against the database); `smart315 audit verify`, run as the operator runs
it (a subprocess), must exit 1 naming that complaint, and always against a signed checkpoint taken
before the tampering (`--against`). A second, untouched complaint stays unreported. Also: legacy
timelines and `audit reseal`, and a forged or foreign-signed checkpoint refused.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from server.core.auditchain import STATE_FIELDS, keyed_mac, legacy_hash
from server.core.models import Complaint, ComplaintEvent, Disclosure
from server.core.timeutil import parse_iso
from tests.factories import complaint_body

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli(database_url, tmp_path):
    """Run `smart315 ...` as the operator: a subprocess on the test database, its own key file and directory."""
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": "", "SMART315_ENV": "development",
           "AUDIT_SIGNING_KEY_FILE": str(tmp_path / "operator-signing-key.pem"),
           "AUDIT_CHECKPOINT_DIR": str(tmp_path / "checkpoints")}
    for name in ("SENTRY_DSN", "AUDIT_KEY"):  # the app under test uses the default key too
        env.pop(name, None)

    def run(*args: str, extra_env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "server.cli", *args], env={**env, **(extra_env or {})},
                              capture_output=True, text=True, timeout=120, cwd=ROOT)

    return run


def verify(cli, *args: str) -> tuple[int, dict]:
    proc = cli("audit", "verify", *args)
    lines = proc.stdout.strip().splitlines()
    assert lines, proc.stderr
    return proc.returncode, json.loads(lines[-1])


def _complaint_with_history(client, auth) -> tuple[int, int]:
    """submit, accept, forward, respond, confirm (3999 recovered), rate 5: six events, closed. And a bystander."""
    owner, biz = auth.business()
    consumer = auth.consumer()
    mediator = auth.mediator("1101")
    c = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(biz["id"])).get_json()
    for who, body in ((mediator, {"action": "accept"}), (owner, {"action": "respond", "note": "同意全额退款"}),
                      (consumer, {"action": "confirm", "amount_recovered": "3999"}),
                      (consumer, {"action": "rate", "rating": 5})):
        r = client.post(f"/api/v1/complaints/{c['id']}/transitions", headers=who.headers, json=body)
        assert r.status_code == 200, r.get_json()
    other = client.post("/api/v1/complaints", headers=consumer.headers,
                        json=complaint_body(biz["id"], title="第二件投诉")).get_json()
    return c["id"], other["id"]


def _events(conn, cid: int) -> list:
    return conn.execute(ComplaintEvent.__table__.select().where(ComplaintEvent.complaint_id == cid)
                        .order_by(ComplaintEvent.seq)).all()


def _relink_unkeyed(conn, cid: int, chain: int) -> None:
    """What the probe did: recompute every hash of the timeline with the published (unkeyed) algorithm."""
    prev = "0" * 64
    for ev in conn.execute(text("SELECT seq FROM complaint_event WHERE complaint_id = :c ORDER BY seq"),
                           {"c": cid}).scalars().all():
        row = conn.execute(ComplaintEvent.__table__.select().where(ComplaintEvent.complaint_id == cid,
                                                                   ComplaintEvent.seq == ev)).one()
        h = legacy_hash(cid, row.seq, row.actor_id, row.actor_role, row.action, row.from_status, row.to_status,
                        row.note, row.data, row.created_at, prev)
        conn.execute(ComplaintEvent.__table__.update().where(ComplaintEvent.id == row.id)
                     .values(prev_hash=prev, hash=h, chain=chain))
        prev = h


def edit_event_recompute_chain(conn, cid):
    conn.execute(text("UPDATE complaint_event SET note = '商家拒绝处理' WHERE complaint_id = :c AND seq = 4"), {"c": cid})
    _relink_unkeyed(conn, cid, chain=2)


def edit_event_recompute_as_legacy(conn, cid):
    """The same, also passing the timeline off as a legacy one (chain 1, head counter 0)."""
    conn.execute(text("UPDATE complaint_event SET note = '商家拒绝处理' WHERE complaint_id = :c AND seq = 4"), {"c": cid})
    _relink_unkeyed(conn, cid, chain=1)
    conn.execute(text("UPDATE complaint_event SET state = NULL WHERE complaint_id = :c"), {"c": cid})
    conn.execute(text("UPDATE complaint SET audit_seq = 0 WHERE id = :c"), {"c": cid})


def delete_last_event(conn, cid):
    conn.execute(text("DELETE FROM complaint_event WHERE complaint_id = :c AND seq = 6"), {"c": cid})


def delete_whole_timeline(conn, cid):
    conn.execute(text("DELETE FROM complaint_event WHERE complaint_id = :c"), {"c": cid})


def delete_complaint_with_timeline(conn, cid):
    conn.execute(text("DELETE FROM complaint_event WHERE complaint_id = :c"), {"c": cid})
    conn.execute(text("DELETE FROM complaint WHERE id = :c"), {"c": cid})


def edit_status(conn, cid):
    conn.execute(text("UPDATE complaint SET status = 'unresolved', outcome = 'unresolved' WHERE id = :c"), {"c": cid})


def edit_recovered_amount(conn, cid):
    conn.execute(text("UPDATE complaint SET amount_recovered_fen = 100 WHERE id = :c"), {"c": cid})


def edit_rating(conn, cid):
    conn.execute(text("UPDATE complaint SET rating = 1 WHERE id = :c"), {"c": cid})


def truncate(conn, cid):
    """Cut the timeline after the forward (seq 3) and rewind the row and its head counter to match exactly."""
    state = conn.execute(ComplaintEvent.__table__.select().where(ComplaintEvent.complaint_id == cid,
                                                                 ComplaintEvent.seq == 3)).one().state
    conn.execute(text("DELETE FROM complaint_event WHERE complaint_id = :c AND seq > 3"), {"c": cid})
    values = {name: (parse_iso(state[name]) if name.endswith("_at") and state[name] else state[name])
              for name in STATE_FIELDS}
    conn.execute(Complaint.__table__.update().where(Complaint.id == cid).values(audit_seq=3, **values))


def reorder(conn, cid):
    conn.execute(text("UPDATE complaint_event SET seq = 100 WHERE complaint_id = :c AND seq = 4"), {"c": cid})
    conn.execute(text("UPDATE complaint_event SET seq = 4 WHERE complaint_id = :c AND seq = 5"), {"c": cid})
    conn.execute(text("UPDATE complaint_event SET seq = 5 WHERE complaint_id = :c AND seq = 100"), {"c": cid})


def insert_event(conn, cid):
    """A fake 'mediate_fail' after the rating, linked to the real head, counter bumped, MAC under a guessed key."""
    head = _events(conn, cid)[-1]
    state = dict(head.state, status="closed", outcome="unresolved")
    at = head.created_at
    fake = keyed_mac(b"dev-audit-key", cid, 7, None, "mediator", "mediate_fail", "closed", "closed", "调解失败", {},
                     at, head.hash, state)
    conn.execute(ComplaintEvent.__table__.insert().values(
        complaint_id=cid, seq=7, actor_id=None, actor_role="mediator", action="mediate_fail", from_status="closed",
        to_status="closed", note="调解失败", data={}, created_at=at, prev_hash=head.hash, hash=fake, chain=2,
        state=state))
    conn.execute(text("UPDATE complaint SET audit_seq = 7, outcome = 'unresolved' WHERE id = :c"), {"c": cid})


# (tampering, detected without a checkpoint, a phrase of the problem reported)
TAMPERINGS = [
    (edit_event_recompute_chain, True, "event content does not match its hash"),
    (edit_event_recompute_as_legacy, True, "changed since the checkpoint"),
    (delete_last_event, True, "last events deleted"),
    (delete_whole_timeline, True, "timeline missing"),
    (delete_complaint_with_timeline, False, "complaint and its timeline deleted since the checkpoint"),
    (edit_status, True, "status: 'unresolved' in the row, 'closed' after the last event"),
    (edit_recovered_amount, True, "amount_recovered_fen: 100 in the row, 399900 after the last event"),
    (edit_rating, True, "rating: 1 in the row, 5 after the last event"),
    (truncate, False, "timeline truncated since the checkpoint"),
    (reorder, True, "event content does not match its hash"),
    (insert_event, True, "event content does not match its hash"),
]


@pytest.mark.parametrize("tamper,detected_without,phrase", TAMPERINGS, ids=[t[0].__name__ for t in TAMPERINGS])
def test_sql_tampering_is_detected(client, auth, db, cli, tmp_path, tamper, detected_without, phrase):
    cid, bystander = _complaint_with_history(client, auth)
    code, report = verify(cli)
    assert code == 0 and report["broken"] == [] and report["legacy"] == 0, report
    assert report["keyed"] == report["timelines"] == 2 and report["checked"] == 7
    cp = tmp_path / "before.json"
    proc = cli("audit", "checkpoint", "--out", str(cp))
    assert proc.returncode == 0, proc.stderr
    assert verify(cli, "--against", str(cp))[0] == 0

    with db.engine.begin() as conn:  # the rogue operator, straight SQL, no AUDIT_KEY
        tamper(conn, cid)

    code, report = verify(cli)
    if detected_without:
        assert code == 1, report
        reported = {b["complaint_id"] for b in report["broken"]} | set(report["legacy_sample"])
        assert reported == {cid}
    code, report = verify(cli, "--against", str(cp))
    assert code == 1, report
    assert {b["complaint_id"] for b in report["broken"]} == {cid}
    problems = [p for b in report["broken"] for p in b["problems"]]
    assert any(phrase in p for p in problems), problems
    assert report["checkpoint"]["file"] == "before.json"


def test_events_appended_after_the_checkpoint_pass(client, auth, cli, tmp_path):
    owner, biz = auth.business()
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    c = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(biz["id"])).get_json()
    cp = tmp_path / "cp.json"
    assert cli("audit", "checkpoint", "--out", str(cp)).returncode == 0
    r = client.post(f"/api/v1/complaints/{c['id']}/transitions", headers=mediator.headers, json={"action": "accept"})
    assert r.status_code == 200
    code, report = verify(cli, "--against", str(cp))
    assert code == 0 and report["broken"] == [], report
    assert report["checkpoint"]["heads"] == 1 and report["checked"] == 3
    # the chain is keyed: with any other key nothing verifies
    proc = cli("audit", "verify", extra_env={"AUDIT_KEY": "dev-audit-key"})
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert proc.returncode == 1 and [b["seq"] for b in report["broken"]] == [1, 2, 3]


# ------------------------------------------------------------------ checkpoints: signature

def test_forged_checkpoint_is_refused(client, auth, db, cli, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    cid, _ = _complaint_with_history(client, auth)
    cp = tmp_path / "cp.json"
    assert cli("audit", "checkpoint", "--out", str(cp)).returncode == 0
    pub = tmp_path / "published.pem"
    proc = cli("audit", "public-key")
    assert proc.returncode == 0 and proc.stdout.startswith("-----BEGIN PUBLIC KEY-----")
    pub.write_text(proc.stdout)
    assert verify(cli, "--against", str(cp), "--public-key", str(pub))[0] == 0

    with db.engine.begin() as conn:  # delete the complaint, then hide it from the checkpoint
        delete_complaint_with_timeline(conn, cid)
    doc = json.loads(cp.read_text())
    doc["payload"]["heads"] = [h for h in doc["payload"]["heads"] if h[0] != cid]
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(doc))
    proc = cli("audit", "verify", "--against", str(edited), "--public-key", str(pub))
    assert proc.returncode == 1 and "signature does not verify" in proc.stderr
    assert proc.stdout == ""

    # re-signed with a key of the forger's own (even naming it in the file): refused with the operator's key
    forger = Ed25519PrivateKey.generate()
    payload = doc["payload"]
    doc["signature"] = __import__("base64").b64encode(forger.sign(json.dumps(
        payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode())).decode()
    doc["public_key"] = forger.public_key().public_bytes(serialization.Encoding.PEM,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    edited.write_text(json.dumps(doc))
    for args in (("--public-key", str(pub)), ()):  # the published key, or the operator's own key file
        proc = cli("audit", "verify", "--against", str(edited), *args)
        assert proc.returncode == 1 and "signature does not verify" in proc.stderr, proc.stderr

    code, report = verify(cli, "--against", str(cp), "--public-key", str(pub))  # the genuine one still tells
    assert code == 1 and [b["complaint_id"] for b in report["broken"]] == [cid]


def test_production_needs_a_signing_key_made_on_purpose(cli, tmp_path):
    env = {"SMART315_ENV": "production", "AUDIT_SIGNING_KEY_FILE": str(tmp_path / "none" / "key.pem")}
    # Every command now refuses development secrets in production first: give it real ones.
    from server.config import _is_secret_name, load_config

    for name, value in load_config(environ={}).items():
        if isinstance(value, str) and value and _is_secret_name(name):
            env[name] = "prod-" + name.lower() + "-" + "x" * 24
    proc = cli("audit", "checkpoint", "--out", str(tmp_path / "cp.json"), extra_env=env)
    assert proc.returncode == 1 and "smart315 audit keygen" in proc.stderr
    assert not (tmp_path / "cp.json").exists()
    assert cli("audit", "keygen", extra_env=env).returncode == 0
    assert cli("audit", "keygen", extra_env=env).returncode == 1  # never overwrites
    assert cli("audit", "checkpoint", "--out", str(tmp_path / "cp.json"), extra_env=env).returncode == 0


# ------------------------------------------------------------------ legacy chains and reseal

def _make_legacy(conn, cid: int) -> None:
    """As migration 0010_audit leaves a timeline written by the first release (or bench/seed)."""
    _relink_unkeyed(conn, cid, chain=1)
    conn.execute(text("UPDATE complaint_event SET state = NULL WHERE complaint_id = :c"), {"c": cid})
    conn.execute(text("UPDATE complaint SET audit_seq = 0 WHERE id = :c"), {"c": cid})


def test_reseal_moves_legacy_timelines_to_the_keyed_chain(client, auth, db, cli):
    cid, other = _complaint_with_history(client, auth)
    with db.engine.begin() as conn:
        _make_legacy(conn, cid)
        _make_legacy(conn, other)
    code, report = verify(cli)
    assert code == 1 and report["broken"] == [] and report["legacy"] == 2, report
    assert "audit reseal" in cli("audit", "verify").stderr
    assert verify(cli, "--allow-legacy")[0] == 0

    # a legacy timeline with a broken chain is not resealed (that would launder the edit)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE complaint_event SET note = 'x' WHERE complaint_id = :c AND seq = 1"), {"c": other})
    proc = cli("audit", "reseal")
    assert proc.returncode == 1, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["resealed"] == 1 and [r["complaint_id"] for r in result["refused"]] == [other]
    code, report = verify(cli)
    assert code == 1 and {b["complaint_id"] for b in report["broken"]} == {other}
    assert report["keyed"] == 1 and report["legacy_sample"] == [other]  # still unkeyed, and broken

    # the resealed timeline now resists what the legacy one did not
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE complaint_event SET note = '商家拒绝处理' WHERE complaint_id = :c AND seq = 4"),
                     {"c": cid})
        _relink_unkeyed(conn, cid, chain=1)
        conn.execute(text("UPDATE complaint SET audit_seq = 0 WHERE id = :c"), {"c": cid})
    code, report = verify(cli)
    assert cid in {b["complaint_id"] for b in report["broken"]} | set(report["legacy_sample"]) and code == 1


def test_keyed_event_after_legacy_ones_anchors_them(client, auth, db, cli):
    owner, biz = auth.business()
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    c = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(biz["id"])).get_json()
    assert client.post(f"/api/v1/complaints/{c['id']}/transitions", headers=mediator.headers,
                       json={"action": "accept"}).status_code == 200
    with db.engine.begin() as conn:
        _make_legacy(conn, c["id"])  # submit, accept, forward: written before the upgrade
    r = client.post(f"/api/v1/complaints/{c['id']}/transitions", headers=owner.headers,
                    json={"action": "respond", "note": "同意退款"})
    assert r.status_code == 200
    code, report = verify(cli)
    assert code == 0 and report["keyed"] == 1 and report["legacy"] == 0, report
    with db.engine.begin() as conn:  # rewrite the legacy prefix and its unkeyed hashes
        conn.execute(text("UPDATE complaint_event SET note = '已受理' WHERE complaint_id = :c AND seq = 2"),
                     {"c": c["id"]})
        prev = "0" * 64
        for row in _events(conn, c["id"])[:3]:
            h = legacy_hash(c["id"], row.seq, row.actor_id, row.actor_role, row.action, row.from_status,
                            row.to_status, row.note, row.data, row.created_at, prev)
            conn.execute(text("UPDATE complaint_event SET prev_hash = :p, hash = :h WHERE id = :i"),
                         {"p": prev, "h": h, "i": row.id})
            prev = h
    code, report = verify(cli)
    assert code == 1 and [(b["complaint_id"], b["seq"]) for b in report["broken"]] == [(c["id"], 4)]
    assert "link to previous event broken" in report["broken"][0]["problems"]


# ------------------------------------------------------------------ appeals, scheduler and disclosure

def test_appeal_events_are_keyed_and_cover_index_exclusion(client, auth, db, cli):
    owner, biz = auth.business()
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    c = client.post("/api/v1/complaints", headers=consumer.headers, json=complaint_body(biz["id"])).get_json()
    assert client.post(f"/api/v1/complaints/{c['id']}/transitions", headers=mediator.headers,
                       json={"action": "accept"}).status_code == 200
    a = client.post(f"/api/v1/complaints/{c['id']}/appeals", headers=owner.headers,
                    json={"reason": "duplicate", "note": "重复投诉"})
    assert a.status_code == 201, a.get_json()
    d = client.post(f"/api/v1/complaints/{c['id']}/appeals/{a.get_json()['id']}/decision", headers=mediator.headers,
                    json={"upheld": True, "note": "确属重复"})
    assert d.status_code == 200, d.get_json()
    code, report = verify(cli)
    assert code == 0 and report["checked"] == 5, report
    with db.engine.begin() as conn:  # undo the exclusion behind the mediator's back
        conn.execute(text("UPDATE complaint SET index_excluded = :f WHERE id = :c"), {"f": False, "c": c["id"]})
    code, report = verify(cli)
    assert code == 1 and "index_excluded: False in the row, True after the last event" in \
        report["broken"][0]["problems"][0]


def test_scheduler_and_disclosure_write_signed_checkpoints(client, auth, db, settings, session, cli, tmp_path):
    from datetime import UTC, datetime

    from server.core.auditchain import public_key_pem
    from server.tasks.scheduler import tick

    _complaint_with_history(client, auth)
    done = tick(db, settings, now=datetime(2026, 4, 1, 1, 0, tzinfo=UTC))
    assert done["job:audit.checkpoint"] == 1 and done["job:disclosure.monthly"] == 1
    directory = Path(settings["AUDIT_CHECKPOINT_DIR"])
    files = sorted(directory.glob("audit-checkpoint-*.json"))
    assert files
    disclosure = session.get(Disclosure, "2026-03")
    assert disclosure.audit_checkpoint_name in {f.name for f in files}
    written = directory / disclosure.audit_checkpoint_name
    assert __import__("hashlib").sha256(written.read_bytes()).hexdigest() == disclosure.audit_checkpoint_sha256
    session.rollback()  # end the read transaction before the operator's process works on the database
    listed = client.get("/api/v1/public/disclosures").get_json()["items"][0]
    assert listed["audit_checkpoint_sha256"] == disclosure.audit_checkpoint_sha256
    pub = tmp_path / "app.pem"
    pub.write_text(public_key_pem(settings))
    code, report = verify(cli, "--against", str(written), "--public-key", str(pub))
    assert code == 0 and report["checkpoint"]["heads"] == 2, report


def test_publication_decision_is_covered(client, auth, db, cli):
    """Approving a refused complaint's publication behind the mediator's back (straight SQL) is reported."""
    owner, biz = auth.business()
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    c = client.post("/api/v1/complaints", headers=consumer.headers,
                    json=complaint_body(biz["id"], public_consent=True)).get_json()
    r = client.post(f"/api/v1/complaints/{c['id']}/publication", headers=mediator.headers, json={"approve": False})
    assert r.status_code == 200, r.get_json()
    assert verify(cli)[0] == 0
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE complaint SET publication_state = 'approved' WHERE id = :c"), {"c": c["id"]})
    code, report = verify(cli)
    assert code == 1 and "publication_state: 'approved' in the row, 'refused' after the last event" in \
        report["broken"][0]["problems"][0]
