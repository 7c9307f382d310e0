"""The model path shared by the assistant's features: an OpenAI-compatible client (DeepSeek serves this
wire format), JSON output validated against a pydantic schema, and the daily token budget.

Nothing here decides an answer by itself: callers (consult, drafting) ask for a validated object and,
when `complete_json` gives none, serve the answer composed from retrieval. Model text reaches a user
only after it parsed and validated; invalid output is retried once (the retry tells the model what was
wrong), then dropped.

The token budget is counted by the HTTP layer (Redis, or the database without it: server/api/assist.py);
core code only sees the `Budget` protocol below, so it stays free of Flask and storage.
"""
from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

log = logging.getLogger(__name__)
T = TypeVar("T", bound=BaseModel)

# Why the answer was not written by the model, in the words shown to the user.
FALLBACK_NOTES = {
    "budget": "今日智能助手的模型用量已达上限，以下内容由系统依据检索到的法律条文整理，未经模型撰写。",
    "caller_budget": "您今日使用智能模型的额度已用完，以下内容由系统依据检索到的法律条文整理，未经模型撰写。",
    "invalid_output": "模型的回答未通过格式校验，已弃用；以下内容由系统依据检索到的法律条文整理。",
    "busy": "当前咨询人数较多，以下内容由系统依据检索到的法律条文直接整理。",
}


class Budget(Protocol):
    """What a model call may spend. `refusal()` is checked before every call (a retry included)."""

    def refusal(self) -> str | None:
        """None while a call may be made; else a FALLBACK_NOTES key ("budget", "caller_budget")."""

    def spend(self, tokens: int) -> None:
        """Record tokens a call used (prompt and completion)."""


class NoBudget:
    """No limit (tests, and callers outside a request)."""

    def refusal(self) -> str | None:
        return None

    def spend(self, tokens: int) -> None:
        return None


def configured(settings: Mapping[str, Any]) -> bool:
    return bool(settings.get("LLM_BASE_URL") and settings.get("LLM_API_KEY") and settings.get("LLM_MODEL"))


def client(settings: Mapping[str, Any]):
    from openai import OpenAI

    return OpenAI(
        base_url=settings["LLM_BASE_URL"],
        api_key=settings["LLM_API_KEY"],
        timeout=float(settings.get("LLM_TIMEOUT_SECONDS") or 8),
        max_retries=0,
    )


def max_tokens(settings: Mapping[str, Any]) -> int:
    return int(settings.get("LLM_MAX_TOKENS") or 1200)


def estimate_tokens(messages: Sequence[Mapping[str, Any]], output: str = "") -> int:
    """A conservative count when the server reports no usage: DeepSeek's rule of thumb is about 0.6
    token per Chinese character and 0.3 per English one; one per character over-counts, never under."""
    chars = sum(len(str(m.get("content", ""))) for m in messages) + len(output)
    return max(1, math.ceil(chars))


def usage_tokens(usage: Any, messages: Sequence[Mapping[str, Any]], output: str) -> int:
    total = getattr(usage, "total_tokens", None) if usage is not None else None
    if isinstance(total, int) and total > 0:
        return total
    return estimate_tokens(messages, output)


@dataclass
class JsonResult:
    value: BaseModel | None
    reason: str | None  # None when value is set; "not_configured", "unavailable", "invalid_output", "budget", ...
    attempts: int = 0
    tokens: int = 0


def parse_json(text: str, schema: type[T]) -> T:
    """The model's content as the schema's object; ValueError (ValidationError) when it is not."""
    stripped = (text or "").strip()
    if stripped.startswith("```"):  # a fenced block despite JSON mode
        stripped = stripped.strip("`")
        stripped = stripped[4:] if stripped.lower().startswith("json") else stripped
    if not stripped:
        raise ValueError("empty content")
    data = json.loads(stripped)
    return schema.model_validate(data)


def complete_json(settings: Mapping[str, Any], messages: list[dict[str, str]], schema: type[T],
                  budget: Budget | None = None, check: Callable[[T], T] | None = None) -> JsonResult:
    """Ask the model for a JSON object (DeepSeek JSON Output: response_format json_object; the prompt must
    say "json" and show an example), validate it against `schema` and then `check` (which may clean it up
    or raise ValueError). Invalid output is asked for once more with the error; transport errors and
    timeouts are not retried (the caller's local answer is faster than a second wait)."""
    if not configured(settings):
        return JsonResult(None, "not_configured")
    budget = budget or NoBudget()
    convo = list(messages)
    spent = 0
    for attempt in (1, 2):
        refused = budget.refusal()
        if refused:
            return JsonResult(None, refused, attempt - 1, spent)
        try:
            resp = client(settings).chat.completions.create(
                model=settings["LLM_MODEL"], messages=convo, temperature=0.2, max_tokens=max_tokens(settings),
                response_format={"type": "json_object"})
        except Exception as exc:  # any model failure must not fail the request
            log.warning("LLM unavailable (%s); serving the local answer", type(exc).__name__)
            return JsonResult(None, "unavailable", attempt, spent)
        content = (resp.choices[0].message.content or "") if resp.choices else ""
        used = usage_tokens(getattr(resp, "usage", None), convo, content)
        spent += used
        budget.spend(used)
        try:
            value = parse_json(content, schema)
            if check is not None:
                value = check(value)
            return JsonResult(value, None, attempt, spent)
        except (ValueError, ValidationError) as exc:
            problem = _describe(exc)
            log.warning("LLM output failed validation (attempt %d): %s", attempt, problem)
            convo = [*messages, {"role": "assistant", "content": content[:2000]},
                     {"role": "user", "content": f"上面的输出不符合要求（{problem}）。请只输出一个符合示例格式的 json 对象。"}]
    return JsonResult(None, "invalid_output", 2, spent)


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        errs = exc.errors()[:3]
        return "；".join(f"{'.'.join(str(p) for p in e.get('loc', ())) or '对象'}: {e.get('msg')}" for e in errs)
    if isinstance(exc, json.JSONDecodeError):
        return "不是合法的 json"
    return str(exc)[:200] or type(exc).__name__
