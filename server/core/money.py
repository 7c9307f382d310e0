"""Money: decimal yuan strings at the edge ("199.00"), integer fen inside."""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# ASCII digits only: Decimal() also takes "1_000", "١٢٣" (Arabic-Indic) and other Unicode digits (issue 15.10).
_PLAIN = re.compile(r"-?[0-9]+(\.[0-9]+)?", re.ASCII)

MAX_FEN = 10**13  # 100 billion yuan: far above any consumer claim, far below BIGINT


def parse_yuan(value: object) -> int:
    """'199.00', '199', 199 or 199.5 -> fen; raises ValueError for anything else or more than two places."""
    if isinstance(value, bool) or value is None or not isinstance(value, (str, int, float, Decimal)):
        raise ValueError("金额格式不正确，应为数字，例如 199.00")
    text = str(value).strip()
    if isinstance(value, float) and "e" in text.lower():
        text = format(Decimal(value), "f") if abs(value) < 1e15 else text
    if not _PLAIN.fullmatch(text):
        raise ValueError("金额格式不正确：只能使用半角数字和小数点，例如 199.00")
    try:
        dec = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError("金额格式不正确") from exc
    if not dec.is_finite():
        raise ValueError("金额格式不正确")
    if dec < 0:
        raise ValueError("金额不能为负数")
    # Before any quantize: a huge value (1e300) makes quantize raise InvalidOperation, not ValueError.
    if dec > Decimal(MAX_FEN) / 100:
        raise ValueError("金额过大")
    try:
        if dec.as_tuple().exponent < -2 and dec != dec.quantize(Decimal("0.01")):
            raise ValueError("金额最多两位小数")
        fen = int((dec * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    except InvalidOperation as exc:
        raise ValueError("金额格式不正确") from exc
    if fen > MAX_FEN:
        raise ValueError("金额过大")
    return fen


def format_yuan(fen: int | None) -> str | None:
    if fen is None:
        return None
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"
