"""The JSON objects the model must return, and the checks that tie them to what was retrieved.

Each schema has a JSON example (`EXAMPLE`) for the prompt: DeepSeek's JSON Output asks for the word
"json" and an example of the wanted object in the prompt. A value that parses but cites an article that
was not retrieved keeps its text with that citation removed; an answer left empty is invalid.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .retrieval import Hit

ARTICLE_LABEL = r"^第[零〇一二两三四五六七八九十百千]+条$"
_CITE_RE = re.compile(r"《([^》]+)》\s*(第[零〇一二两三四五六七八九十百千]+条)")
REMOVED = "（未核实的条文引用已删除）"


class CitedArticle(BaseModel):
    model_config = ConfigDict(extra="ignore")
    law: str = Field(min_length=2, max_length=80)
    article: str = Field(pattern=ARTICLE_LABEL)

    @field_validator("law")
    @classmethod
    def _bare(cls, v: str) -> str:
        return v.strip().strip("《》")


class _Grounded(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    cited_articles: list[CitedArticle] = Field(default_factory=list, max_length=8)


class ConsultAnswer(_Grounded):
    answer: str = Field(min_length=10, max_length=3000)


class ReplyDraft(_Grounded):
    draft: str = Field(min_length=20, max_length=2000)
    to_verify: list[str] = Field(default_factory=list, max_length=6)


class CaseSummary(_Grounded):
    summary: str = Field(min_length=20, max_length=2000)
    consumer_position: str = Field(min_length=2, max_length=600)
    business_position: str = Field(min_length=2, max_length=600)
    disputed_points: list[str] = Field(default_factory=list, max_length=6)


_LAW = "中华人民共和国消费者权益保护法"
EXAMPLES: dict[type[BaseModel], dict] = {
    ConsultAnswer: {"answer": "结论……依据《中华人民共和国消费者权益保护法》第二十五条……建议……",
                    "cited_articles": [{"law": _LAW, "article": "第二十五条"}]},
    ReplyDraft: {"draft": "您好！我们已收到您关于……的投诉……", "to_verify": ["订单是否在七日内申请退货"],
                 "cited_articles": [{"law": _LAW, "article": "第二十四条"}]},
    CaseSummary: {"summary": "消费者于……购买……，称……", "consumer_position": "要求……",
                  "business_position": "商家答复……（尚未答复时写“商家尚未答复”）",
                  "disputed_points": ["……是否属于质量问题"], "cited_articles": [{"law": _LAW, "article": "第二十四条"}]},
}


def example_json(schema: type[BaseModel]) -> str:
    return json.dumps(EXAMPLES[schema], ensure_ascii=False, indent=1)


def _names(hit: Hit) -> tuple[str, str]:
    return hit.article.law, hit.article.short_name


def find_hit(law: str, label: str, hits: Iterable[Hit]) -> Hit | None:
    """The retrieved article a (law, 第N条) reference names, by full title, file name or a tail of the title."""
    law = law.strip().strip("《》")
    for h in hits:
        if h.article.label != label:
            continue
        full, short = _names(h)
        if law in (full, short) or (len(law) >= 3 and (law in full or full.endswith(law))):
            return h
    return None


def drop_unretrieved_citations(text: str, hits: list[Hit]) -> str:
    """Replace every 《法》第N条 reference to an article that was not retrieved."""
    def repl(m: re.Match) -> str:
        return m.group(0) if find_hit(m.group(1), m.group(2), hits) else REMOVED

    return _CITE_RE.sub(repl, text)


def grounded(value: _Grounded, hits: list[Hit], text_fields: tuple[str, ...]) -> _Grounded:
    """Keep only retrieved articles in `cited_articles` and in the text fields; ValueError if a text field
    is left without substance."""
    kept = []
    for c in value.cited_articles:
        h = find_hit(c.law, c.article, hits)
        if h is not None and all(k.law != h.article.law or k.article != h.article.label for k in kept):
            kept.append(CitedArticle(law=h.article.law, article=h.article.label))
    updates: dict = {"cited_articles": kept}
    for name in text_fields:
        cleaned = drop_unretrieved_citations(getattr(value, name), hits)
        if len(cleaned.replace(REMOVED, "").strip()) < 10:
            raise ValueError(f"{name} 没有可用的内容")
        updates[name] = cleaned
    return value.model_copy(update=updates)
