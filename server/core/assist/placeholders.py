"""The gaps a reply draft leaves for the business's staff (【请填写…】, drafting.py) and the check that no
reply, message or public reply is sent with one still open. Kept apart from drafting.py so that the write
paths that check it do not import the retrieval stack."""
from __future__ import annotations

import re

from ..errors import ValidationFailed

PLACEHOLDER_HINT = "【请填写……】"
_PLACEHOLDER = re.compile(r"【请填写[^】]*】")


def check_no_placeholders(field: str, text: str | None) -> None:
    """A reply that still holds a draft's 【请填写…】 gap is refused: the consumer would receive it as it is."""
    gaps = _PLACEHOLDER.findall(text or "")
    if gaps:
        shown = "、".join(dict.fromkeys(gaps))[:120]
        raise ValidationFailed([{"field": field, "message": f"草稿中还有未填写的内容：{shown}；请补全后再发送"}])
