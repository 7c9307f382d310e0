"""Structural rules: one Alembic head, migrated schema equals the models, the domain never imports Flask."""
from __future__ import annotations

import ast
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from server.core.models import Base
from server.migrate import alembic_config


def test_alembic_has_one_head(database_url):
    heads = ScriptDirectory.from_config(alembic_config(database_url)).get_heads()
    assert len(heads) == 1, heads


def test_migrated_schema_equals_models(db):
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations differ: run scripts/regen_initial_migration.sh\n{diff}"


def test_core_never_imports_flask():
    core = Path(__file__).resolve().parent.parent / "server" / "core"
    offenders = []
    for path in core.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(n == "flask" or n.startswith("flask.") or n.startswith("flask_") for n in names):
                offenders.append(str(path.relative_to(core)))
    assert offenders == []


def test_no_session_listener_decides_what_changed_after_a_flush():
    """Effects at commit are asked for by the do_* that causes them (issue 16.2: public_changed_on_commit),
    not inferred by an after_flush listener from the classes of the flushed objects."""
    server = Path(__file__).resolve().parent.parent / "server"
    offenders = []
    for path in server.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                    "listens_for", "listen"):
                if any(isinstance(a, ast.Constant) and a.value in ("after_flush", "after_flush_postexec")
                       for a in node.args):
                    offenders.append(f"{path.relative_to(server)}:{node.lineno}")
    assert offenders == []
