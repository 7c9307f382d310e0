"""The stored index stays equal to the counts when changes of one business's complaints run in parallel
(PostgreSQL: several web processes and schedulers commit at once; SQLite has one writer at a time).

Each test holds one transaction open in the test thread and runs the competing one in another
thread, so the interleaving that used to go wrong happens every time, not by chance."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, update

import server.core.scoring.actions as scoring
from server.core.actor import actor_for_user
from server.core.complaints import actions
from server.core.complaints.visibility import get_visible_complaint
from server.core.models import BusinessIndex, Complaint, User, utcnow
from server.tasks.deadlines import apply_due_deadlines
from tests.factories import act, file_complaint


def _actor(s, login):
    return actor_for_user(s, s.get(User, login.user_id))


def _accept_in(s, settings, admin, cid):
    """Accept (and so forward) one complaint in session `s`, without committing."""
    who = _actor(s, admin)
    c = get_visible_complaint(s, who, cid, for_update=True, with_business=True)
    actions.transition_complaint(s, settings, who, c, "accept")
    s.flush()


def _file(client, consumer, business_id) -> int:
    return file_complaint(client, consumer, business_id)["id"]


def _forwarded(db, business_id):
    with db.session() as s:
        row = s.get(BusinessIndex, business_id)
        return None if row is None else row.counts["forwarded"]


def _full_recompute_changes_nothing(db, settings):
    with db.session() as s:
        summary = scoring.recompute_all(s, settings)
        s.rollback()
    return summary["changed"] == 0 and summary["history_rows"] == 0


@pytest.mark.postgres_only
@pytest.mark.parametrize("earlier", [0, 1], ids=["first-index-row", "existing-index-row"])
def test_two_complaints_of_one_business_forwarded_at_once_are_both_counted(client, auth, db, settings, earlier):
    """With no index row yet both used to insert one (the second failed: a 500 to its user); with a row,
    the second wrote counts read before the first committed, so the first forward went uncounted."""
    _, biz = auth.business()
    consumer = auth.consumer()
    admin = auth.admin("race-admin")
    for _ in range(earlier):
        act(client, admin, _file(client, consumer, biz["id"]), "accept")
    c1, c2 = _file(client, consumer, biz["id"]), _file(client, consumer, biz["id"])

    first = db.Session()
    outcome: dict = {}

    def second():
        with db.Session() as s:
            try:
                _accept_in(s, settings, admin, c2)
                s.commit()
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                outcome["error"] = repr(exc)

    t = threading.Thread(target=second)
    try:
        _accept_in(first, settings, admin, c1)
        t.start()
        time.sleep(0.4)
        first.commit()
    finally:
        first.close()
        if t.is_alive() or t.ident is not None:
            t.join(15)
    assert not t.is_alive()
    assert "error" not in outcome, outcome["error"]
    assert _forwarded(db, biz["id"]) == earlier + 2
    assert _full_recompute_changes_nothing(db, settings)


@pytest.mark.postgres_only
def test_a_forward_committed_during_a_full_recompute_is_not_overwritten(client, auth, db, settings, monkeypatch):
    """The daily job retakes the industry means, so it rewrites every row; a forward that commits while it
    computes must still be counted in the row it finally writes."""
    _, biz = auth.business()
    consumer = auth.consumer()
    admin = auth.admin("recompute-admin")
    for _ in range(2):
        act(client, admin, _file(client, consumer, biz["id"]), "accept")
    late = _file(client, consumer, biz["id"])
    assert _forwarded(db, biz["id"]) == 2

    real = scoring.collect_stats
    outcome: dict = {}

    def collect_then_forward(session, now, business_ids=None, **kw):
        stats = real(session, now, business_ids, **kw)
        if business_ids is None and "done" not in outcome:  # the full recompute's counts, now read
            def forward():
                with db.Session() as s:
                    try:
                        _accept_in(s, settings, admin, late)
                        s.commit()
                        outcome["done"] = True
                    except Exception as exc:  # noqa: BLE001
                        outcome["error"] = repr(exc)
            t = threading.Thread(target=forward)
            t.start()
            t.join(15)
            outcome.setdefault("done", False)
        return stats

    monkeypatch.setattr(scoring, "collect_stats", collect_then_forward)
    with db.session() as s:
        summary = scoring.recompute_all(s, settings, refresh_means=True)
        s.commit()
    monkeypatch.setattr(scoring, "collect_stats", real)

    assert outcome == {"done": True}  # the forward did not wait for the recompute: it committed in between
    assert _forwarded(db, biz["id"]) == 3
    assert summary["recounted_under_lock"] >= 1
    assert _full_recompute_changes_nothing(db, settings)


@pytest.mark.postgres_only
def test_a_row_rewritten_while_a_full_recompute_computes_is_recounted(client, auth, db, settings, monkeypatch):
    """A row written meanwhile (say, by an update that still used the means this recompute replaces) may
    differ from what the recompute computes even where the rows it read first did not: the recompute
    tells such rows by their row version and recounts them under its lock."""
    _, biz = auth.business()
    consumer = auth.consumer()
    admin = auth.admin("rewrite-admin")
    act(client, admin, _file(client, consumer, biz["id"]), "accept")
    assert _full_recompute_changes_nothing(db, settings)  # steady state: every row current

    real = scoring.collect_stats

    def collect_then_rewrite(session, now, business_ids=None, **kw):
        stats = real(session, now, business_ids, **kw)
        if business_ids is None:
            with db.Session() as other:  # commits between the recompute's first read and its lock
                other.execute(update(BusinessIndex).where(BusinessIndex.business_id == biz["id"])
                              .values(score=1.0, grade="D"))
                other.commit()
        return stats

    monkeypatch.setattr(scoring, "collect_stats", collect_then_rewrite)
    with db.session() as s:
        summary = scoring.recompute_all(s, settings)
        s.commit()
    monkeypatch.setattr(scoring, "collect_stats", real)
    assert summary["recounted_under_lock"] == 1
    assert _full_recompute_changes_nothing(db, settings)  # the rewritten row was put right


def test_a_scheduler_batch_updates_each_business_index_once(client, auth, db, settings, monkeypatch):
    """Deadlines of many complaints of a few businesses: one index update per business at the end of the
    batch (in id order, so two schedulers cannot deadlock), and the stored rows equal a full recompute."""
    owners = [auth.business(name=f"北京第{i}家电器有限公司") for i in range(3)]
    consumer = auth.consumer()
    admin = auth.admin("batch-admin")
    cids = []
    for i in range(9):
        cid = _file(client, consumer, owners[i % 3][1]["id"])
        act(client, admin, cid, "accept")
        cids.append(cid)
    now = utcnow()
    with db.session() as s:
        for c in s.execute(select(Complaint).where(Complaint.id.in_(cids))).scalars():
            c.deadline_at = now
        s.commit()

    calls: list[int] = []
    real = scoring.recompute_business

    def counting(session, settings_, business_id, now=None):
        calls.append(business_id)
        return real(session, settings_, business_id, now)

    monkeypatch.setattr(scoring, "recompute_business", counting)
    done = apply_due_deadlines(db.Session, settings, now)
    assert done["response_timeout"] == 9
    assert calls == sorted(b["id"] for _, b in owners)
    monkeypatch.setattr(scoring, "recompute_business", real)
    with db.session() as s:
        assert {c.status for c in s.execute(select(Complaint).where(Complaint.id.in_(cids))).scalars()} == {"mediating"}
    for _, b in owners:
        assert _forwarded(db, b["id"]) == 3
    assert _full_recompute_changes_nothing(db, settings)
