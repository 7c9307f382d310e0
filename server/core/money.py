"""Money: decimal yuan strings at the edge ("199.00"), integer fen inside."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MAX_FEN = 10**13  # 100 billion yuan: far above any consumer claim, far below BIGINT


def parse_yuan(value: object) -> int:
    """'199.00', '199', 199 or 199.5 -> fen; raises ValueError for anything else or more than two places."""
    if isinstance(value, bool) or value is None:
        raise ValueError("金额格式不正确")
    try:
        dec = Decimal(str(value).strip())
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
