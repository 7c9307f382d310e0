"""Typical cases of the Supreme People's Court (server/data/cases): a second kind of source.

A case is shown beside the articles when it is like the consumer's situation: its holding, key
words and facts are searched with the same tokenizer and BM25 as the articles, and a case that
applies one of the retrieved articles is preferred.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .knowledge import int_to_cn

CASES_DIR = Path(__file__).resolve().parents[2] / "data" / "cases"
_HEADING_RE = re.compile(r"^##\s+(.+?)\s*$")


@dataclass(frozen=True)
class Case:
    name: str  # 孙银山诉南京欧尚超市有限公司江宁店买卖合同纠纷案
    holding_title: str  # the title, which states the holding
    keywords: str
    holding: str  # 裁判要点
    facts: str  # 基本案情 / 简要案情
    body: str

    def public(self) -> dict[str, str]:
        return {"name": self.name, "title": self.holding_title, "holding": self.holding,
                "facts": self.facts[:300] + ("……" if len(self.facts) > 300 else ""),
                "source": "最高人民法院发布的典型案例"}


def parse_case(path: Path) -> Case:
    raw = path.read_text(encoding="utf-8")
    title = ""
    sections: dict[str, list[str]] = {}
    current = "_"
    for line in raw.splitlines():
        s = line.strip()
        if not s or s.startswith("<!--"):
            continue
        if s.startswith("# ") and not title:
            title = s[2:].strip()
            continue
        if m := _HEADING_RE.match(s):
            current = m.group(1).replace("\u3000", "").strip()
            sections.setdefault(current, [])
            continue
        sections.setdefault(current, []).append(s)
    name = next((k for k in sections if k.endswith("案") and not sections[k]), path.stem)

    def sec(*names: str) -> str:
        for n in names:
            for k, v in sections.items():
                if k.startswith(n):
                    return "".join(v)
        return ""

    return Case(name=name, holding_title=title, keywords=sec("关键词").rstrip("。"), holding=sec("裁判要点"),
                facts=sec("基本案情", "简要案情", "案情"), body=raw)


@lru_cache(maxsize=2)
def load_cases(cases_dir: str | None = None) -> tuple[Case, ...]:
    directory = Path(cases_dir) if cases_dir else CASES_DIR
    return tuple(parse_case(p) for p in sorted(directory.glob("*.md")) if p.name.lower() != "readme.md")


class _CaseIndex:
    def __init__(self, cases: tuple[Case, ...], index) -> None:
        from .retrieval import _BM25, char_bigrams

        self.cases = cases
        self.index = index
        self.words = _BM25([index.tokenize(f"{c.holding_title} {c.keywords} {c.holding} {c.facts}") for c in cases])
        self.bigrams = _BM25([char_bigrams(f"{c.holding_title} {c.keywords} {c.holding}") for c in cases])

    def applies(self, case: Case, law_short: str, number: int) -> bool:
        return law_short in case.body and f"第{int_to_cn(number)}条" in case.body

    def search(self, question: str, articles: list[tuple[str, int]], k: int) -> list[Case]:
        wq, bq = self.index.query_terms(question)
        scores = self.words.scores(wq)
        for i, s in self.bigrams.scores(bq).items():
            scores[i] = scores.get(i, 0.0) + 0.5 * s
        ranked = []
        for i, s in scores.items():
            if any(self.applies(self.cases[i], law, n) for law, n in articles[:2]):
                s *= 1.6
            ranked.append((s, i))
        ranked.sort(key=lambda x: (-x[0], x[1]))
        # Only a case that is clearly about the same thing: an absolute floor on the fused score.
        return [self.cases[i] for s, i in ranked[:k] if s >= CASE_MIN_SCORE]


CASE_MIN_SCORE = 9.0
_lock = threading.Lock()
_case_index: _CaseIndex | None = None


def similar_cases(question: str, articles: list[tuple[str, int]], k: int = 2) -> list[Case]:
    """Up to k typical cases like the question's situation (those applying the cited articles first)."""
    global _case_index
    if not question.strip():
        return []
    if _case_index is None:
        from .retrieval import get_index

        with _lock:
            if _case_index is None:
                _case_index = _CaseIndex(load_cases(), get_index())
    return _case_index.search(question, articles, k)
