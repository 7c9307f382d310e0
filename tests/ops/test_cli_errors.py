"""The operator's CLI answers mistakes with a sentence, not a traceback (issue 23.7)."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from server.cli import main
from server.core.models import IndustryMean


@pytest.fixture
def cli_env(app, settings_overrides, monkeypatch):
    for k, v in {"DATABASE_URL": settings_overrides["DATABASE_URL"], "REDIS_URL": "",
                 "SMART315_ENV": "development"}.items():
        monkeypatch.setenv(k, v)
    return app


def test_disclosing_an_unfinished_month_is_a_clear_error(cli_env):
    this_month = datetime.now(UTC).strftime("%Y-%m")
    result = CliRunner().invoke(main, ["disclose", "--period", this_month])
    assert result.exit_code == 1
    assert "该统计期尚未结束" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(main, ["disclose", "--period", "0000-01"])
    assert result.exit_code == 1 and "YYYY-MM" in result.output


def test_full_recompute_also_retakes_the_industry_means(cli_env, auth, db):
    auth.business()

    def snapshot():
        with db.session() as s:
            return {m.industry_code: m.computed_at for m in s.execute(select(IndustryMean)).scalars()}

    before = snapshot()
    result = CliRunner().invoke(main, ["index", "recompute"])
    assert result.exit_code == 0, result.output
    assert '"means_refreshed": false' in result.output
    assert snapshot() == before  # the stored means are kept: equal to the incremental updates
    result = CliRunner().invoke(main, ["index", "recompute", "--full"])
    assert result.exit_code == 0, result.output
    assert '"means_refreshed": true' in result.output
    after = snapshot()
    assert "online_shopping" in after and after != before
