"""Template messages as configuration: which template each event uses and what each keyword carries.

Each entry of WECHAT_SUBSCRIBE_TEMPLATES, WECHAT_OA_TEMPLATES and ALIPAY_SUBSCRIBE_TEMPLATES
(event -> entry) is either a template id (string) or ``{"id": "...", "fields": {"<keyword>":
"<source>"}}``. The sources are SOURCES; a plain id keeps the mapping of the first release
(DEFAULT_FIELDS: thing1 the notice, character_string2 the public number, phrase3 the status, time4
the event time, thing5 the summary).

Values are cut to WeChat's limits for the keyword's type, read from its name without the trailing
number (``thing2`` -> ``thing``): thing 20 characters, character_string 32 (letters, digits and
symbols only), phrase 5, time ``YYYY年MM月DD日 HH:mm``, date ``YYYY年MM月DD日``, number 32 digits,
amount a number with 元; others (name, letter, phone_number, car_number, ...) their own limits. A cut
ends on a character, never inside an open bracket (「新 is dropped with its 「), and shows … where it
cut. OA template messages follow the 2023 rules: no ``first`` and no ``remark`` keyword, every value at
most 20 characters.

validate() refuses a bad setting when a process starts (server/config.py load_config), naming the
entry.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from server.core.timeutil import SHANGHAI

SETTINGS = ("WECHAT_SUBSCRIBE_TEMPLATES", "WECHAT_OA_TEMPLATES", "ALIPAY_SUBSCRIBE_TEMPLATES")
SOURCES = ("title", "public_no", "status", "business_name", "deadline_at", "event_time", "note")
# The first release's keywords, kept for entries that are a plain template id. "notice" (the
# notification's own title) and "summary" (its body) are the sources of that mapping only.
DEFAULT_FIELDS = {"thing1": "notice", "character_string2": "public_no", "phrase3": "status",
                  "time4": "event_time", "thing5": "summary"}
# Keyword type -> the most characters WeChat takes (None: formatted, see cut()).
LIMITS = {"thing": 20, "character_string": 32, "phrase": 5, "number": 32, "letter": 32, "symbol": 5,
          "name": 10, "phone_number": 17, "car_number": 8, "amount": 11, "time": None, "date": None,
          "keyword": 20}
OA_FORBIDDEN = ("first", "remark")
OA_LIMIT = 20
ELLIPSIS = "…"
OPENERS = {"「": "」", "『": "』", "（": "）", "(": ")", "【": "】", "《": "》", "“": "”", "‘": "’", "[": "]",
           "〔": "〕", "〈": "〉", "{": "}"}
_KEYWORD = re.compile(r"^([a-z_]+?)(\d+)$")


class TemplateSettingError(ValueError):
    """A template setting that cannot be used (the message names the setting and the entry)."""


def keyword_type(keyword: str) -> str:
    m = _KEYWORD.match(keyword)
    return m.group(1) if m else keyword


def template_id(entry: Any) -> str | None:
    """The template id of one entry (a string or {"id", "fields"})."""
    if isinstance(entry, Mapping):
        value = entry.get("id")
        return str(value) if value else None
    return str(entry) if entry else None


def fields_of(entry: Any) -> dict[str, str]:
    if isinstance(entry, Mapping) and entry.get("fields"):
        return dict(entry["fields"])
    return dict(DEFAULT_FIELDS)


def entry_for(settings: Mapping[str, Any], name: str, event_type: str) -> Any:
    return (settings.get(name) or {}).get(event_type)


def ids(settings: Mapping[str, Any], name: str) -> dict[str, str]:
    """event -> template id of one setting (what the apps ask grants for: GET /client-config)."""
    out = {}
    for event, entry in (settings.get(name) or {}).items():
        tid = template_id(entry)
        if tid:
            out[event] = tid
    return out


def entry_by_id(settings: Mapping[str, Any], name: str, tid: str) -> Any:
    for entry in (settings.get(name) or {}).values():
        if template_id(entry) == tid:
            return entry
    return tid


# ------------------------------------------------------------------ validation

def validate(settings: Mapping[str, Any]) -> None:
    """Raise TemplateSettingError naming the first bad entry of the three template settings."""
    from server.core.vocabulary import EVENTS

    for name in SETTINGS:
        value = settings.get(name) or {}
        if not isinstance(value, Mapping):
            raise TemplateSettingError(f"{name} must be a JSON object event -> template")
        for event, entry in value.items():
            where = f"{name} entry {event!r}"
            if event not in EVENTS:
                raise TemplateSettingError(f"{where}: unknown event; choose from {', '.join(sorted(EVENTS))}")
            if isinstance(entry, str):
                if not entry.strip():
                    raise TemplateSettingError(f"{where}: empty template id")
                continue
            if not isinstance(entry, Mapping):
                raise TemplateSettingError(f"{where}: must be a template id or {{\"id\": ..., \"fields\": {{...}}}}")
            extra = set(entry) - {"id", "fields"}
            if extra:
                raise TemplateSettingError(f"{where}: unknown key(s) {', '.join(sorted(map(str, extra)))}")
            if not isinstance(entry.get("id"), str) or not entry["id"].strip():
                raise TemplateSettingError(f"{where}: \"id\" must be a non-empty template id")
            fields = entry.get("fields")
            if not isinstance(fields, Mapping) or not fields:
                raise TemplateSettingError(f"{where}: \"fields\" must map at least one keyword to a source")
            for keyword, source in fields.items():
                if name == "WECHAT_OA_TEMPLATES" and keyword in OA_FORBIDDEN:
                    raise TemplateSettingError(f"{where}: keyword {keyword!r} is not allowed in OA template "
                                               "messages since 2023 (no first line, no remark)")
                if name != "ALIPAY_SUBSCRIBE_TEMPLATES" and keyword_type(str(keyword)) not in LIMITS:
                    raise TemplateSettingError(f"{where}: keyword {keyword!r} has no known type "
                                               f"({', '.join(sorted(LIMITS))} followed by a number)")
                if source not in SOURCES:
                    raise TemplateSettingError(f"{where}: keyword {keyword!r} has unknown source {source!r}; "
                                               f"choose from {', '.join(SOURCES)}")


# ------------------------------------------------------------------ values

def _close_brackets(text: str) -> str:
    """Drop an opening bracket left without its closing one, with what follows it."""
    while True:
        stack: list[int] = []
        for i, ch in enumerate(text):
            if ch in OPENERS:
                stack.append(i)
            elif stack and ch == OPENERS[text[stack[-1]]]:
                stack.pop()
        if not stack:
            return text
        pos = stack[0]
        if pos == 0:  # nothing before it: keep the words, lose the bracket
            text = text[1:]
        else:
            text = text[:pos].rstrip(" ，,、：:")


def cut_text(text: str, limit: int) -> str:
    """At most `limit` characters; a cut one ends with … and never leaves a bracket open."""
    text = re.sub(r"\s+", " ", str(text or "")).strip()
    if len(text) <= limit:
        return _close_brackets(text) or "-"
    room = limit - 1 if limit > 1 else limit
    head = _close_brackets(text[:room]).rstrip(" ，,、：:")
    return (head + ELLIPSIS if limit > 1 else head) or "-"


def format_time(value: Any, with_time: bool = True) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return "-"
    if not isinstance(value, datetime):
        return "-"
    if value.tzinfo is None:
        from datetime import UTC

        value = value.replace(tzinfo=UTC)
    local = value.astimezone(SHANGHAI)
    return local.strftime("%Y年%m月%d日 %H:%M") if with_time else local.strftime("%Y年%m月%d日")


def cut(keyword: str, value: Any, oa: bool = False) -> str:
    """One value shaped for its keyword's type (and, for OA messages, at most 20 characters)."""
    kind = keyword_type(keyword)
    if kind == "time":
        out = format_time(value)
    elif kind == "date":
        out = format_time(value, with_time=False)
    elif kind in ("character_string", "letter", "car_number"):
        ascii_only = "".join(ch for ch in str(value or "") if ord(ch) < 128).strip()
        out = (ascii_only or "-")[:LIMITS[kind]]
    elif kind in ("number", "phone_number"):
        digits = "".join(ch for ch in str(value or "") if ch.isdigit() or ch in "+-.")
        out = (digits or "0")[:LIMITS[kind]]
    elif kind == "amount":
        digits = "".join(ch for ch in str(value or "") if ch.isdigit() or ch == ".") or "0"
        out = (digits[:LIMITS["amount"] - 1]) + "元"
    elif kind == "phrase":
        # Chinese only, five characters, no ellipsis (WeChat refuses symbols in a phrase).
        han = "".join(ch for ch in str(value or "") if "\u4e00" <= ch <= "\u9fff")
        out = (han or "有更新")[:5]
    else:
        out = cut_text(value, LIMITS.get(kind) or 20)
    if oa and len(out) > OA_LIMIT:
        out = cut_text(out, OA_LIMIT)
    return out


def read_context(db: Any, row: Any) -> dict[str, Any]:
    """The complaint's title, business name and deadline and the event's note (or the message's text),
    read when sending: the row's payload never copies personal text (it is shown in the inbox as
    `data`), and a consumer's erasure has rewritten them by then."""
    from sqlalchemy import select

    from server.core.models import Complaint, ComplaintEvent, Message

    payload = row.payload or {}
    if db is None or not row.complaint_id:
        return {}
    with db.session() as s:
        c = s.execute(select(Complaint.title, Complaint.business_name, Complaint.deadline_at)
                      .where(Complaint.id == row.complaint_id)).first()
        note = None
        if payload.get("message_id"):
            note = s.execute(select(Message.body).where(Message.id == payload["message_id"])).scalar_one_or_none()
        elif payload.get("event_seq") is not None:
            note = s.execute(select(ComplaintEvent.note).where(
                ComplaintEvent.complaint_id == row.complaint_id,
                ComplaintEvent.seq == payload["event_seq"])).scalar_one_or_none()
    if c is None:
        return {"note": note}
    return {"title": c.title, "business_name": c.business_name, "deadline_at": c.deadline_at, "note": note}


def source_values(row: Any, context: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What each source means for one outbox row, with read_context's values."""
    from server.core.vocabulary import STATUSES

    payload, context = row.payload or {}, context or {}
    body = row.body or row.title or "-"
    return {
        "title": context.get("title") or row.title or "投诉进展",
        "public_no": payload.get("public_no") or (str(row.complaint_id) if row.complaint_id else "-"),
        "status": STATUSES.get(payload.get("status") or "", "有更新"),
        "business_name": context.get("business_name") or "-",
        "deadline_at": context.get("deadline_at") or row.created_at,
        "event_time": row.created_at,
        "note": context.get("note") or row.title or body,
        "notice": row.title or "投诉进展",
        "summary": body,
    }


def render(entry: Any, row: Any, oa: bool = False, db: Any = None) -> dict[str, str]:
    """keyword -> value for one row with one configured entry (db: where read_context reads, for the
    sources beyond the row itself; the default mapping needs none)."""
    needed = set(fields_of(entry).values()) & {"title", "business_name", "deadline_at", "note"}
    values = source_values(row, read_context(db, row) if needed else None)
    out = {}
    for keyword, source in fields_of(entry).items():
        if oa and keyword in OA_FORBIDDEN:
            continue
        value = values.get(source)
        if source in ("deadline_at", "event_time") and keyword_type(keyword) not in ("time", "date"):
            value = format_time(value)  # a time shown in a text keyword reads the same way
        out[keyword] = cut(keyword, value, oa=oa)
    return out
