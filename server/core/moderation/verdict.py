"""The one result type of every moderation provider."""
from __future__ import annotations

from dataclasses import dataclass

VERDICTS = ("pass", "review", "risky")
RANK = {"pass": 0, "review": 1, "risky": 2}


@dataclass(frozen=True)
class Verdict:
    """verdict: pass | review | risky; label: what was found (Chinese category name), None on pass;
    provider: which provider decided (wechat | local | off); trace_id: an asynchronous media check
    whose result arrives later through the WeChat message push (verdict "pass" until then)."""

    verdict: str
    label: str | None = None
    provider: str = "local"
    trace_id: str | None = None

    @property
    def risky(self) -> bool:
        return self.verdict == "risky"

    @property
    def review(self) -> bool:
        return self.verdict == "review"


def worst(verdicts) -> Verdict:
    out = Verdict("pass", None, "off")
    for v in verdicts:
        if RANK[v.verdict] > RANK[out.verdict] or (out.provider == "off" and v.verdict == out.verdict):
            out = v
    return out
