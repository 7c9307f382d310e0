"""Statutory compensation calculator: the multiples and minimums of the consumer and food laws.

- 消费者权益保护法 第五十五条第一款: fraud -> price x 3, at least 500 yuan (on top of the refund).
- 食品安全法 第一百四十八条第二款: food below safety standards -> price x 10 or loss x 3, at least
  1,000 yuan (on top of compensation for the loss).
- 消费者权益保护法 第五十五条第二款: a known defect causing death or serious injury -> compensation
  for the loss plus punitive damages up to twice the loss.

Amounts are handled in fen (integers) so no float rounding reaches the consumer.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from .knowledge import cn_to_int

CRPL = "中华人民共和国消费者权益保护法"
FSL = "中华人民共和国食品安全法"

_COMPENSATION_Q = re.compile(r"赔|索赔|十倍|三倍|两倍|二倍|退一赔三|假一赔十|能要多少|要多少钱|惩罚性")
_FOOD_Q = re.compile(r"食品|吃|喝|奶|饮料|零食|面包|月饼|肉|外卖|过期|变质|发霉|保质期|十倍|假一赔十|保健食品")
_INJURY_Q = re.compile(r"受伤|伤|住院|死亡|残疾|烧|烫|炸|医药费|医疗费")
_KNOWN_DEFECT_Q = re.compile(r"明知|知道.{0,8}(缺陷|问题|毛病)|故意|隐瞒.{0,6}(缺陷|问题)")
_NUM = r"(\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万]+)"
_AMOUNT_RE = re.compile(_NUM + r"\s*(万元|万块|万|元|块钱|块|rmb|RMB)")
_LOSS_RE = re.compile(r"(医药费|医疗费|损失|花了.{0,4}治疗|治疗费|误工费)\D{0,6}" + _NUM + r"\s*(万元|万|元|块钱|块)?")


def _to_fen(num: str, unit: str) -> int | None:
    try:
        value = Decimal(num) if num[0].isdigit() else Decimal(_cn_amount(num))
    except (InvalidOperation, ValueError):
        return None
    if unit.startswith("万"):
        value *= 10000
    fen = int((value * 100).to_integral_value())
    return fen if 0 < fen <= 10**12 else None


def _cn_amount(text: str) -> int:
    if "万" in text:
        high, _, low = text.partition("万")
        return (cn_to_int(high) if high else 1) * 10000 + (cn_to_int(low) if low else 0)
    return cn_to_int(text)


def parse_yuan_amount(value: Any) -> int | None:
    """A yuan amount ("128.50", 128, "128元") as fen, or None."""
    if value is None or value == "":
        return None
    m = re.search(r"\d+(?:\.\d+)?", str(value))
    return _to_fen(m.group(0), "元") if m else None


def extract_amounts(question: str) -> tuple[int | None, int | None]:
    """(price, loss) in fen mentioned in the question; the loss is an amount named as 医药费/损失."""
    loss = None
    if m := _LOSS_RE.search(question):
        loss = _to_fen(m.group(2), m.group(3) or "元")
    price = None
    for m in _AMOUNT_RE.finditer(question):
        fen = _to_fen(m.group(1), m.group(2))
        if fen is None or fen == loss:
            continue
        # "最少500" / "赔一千" are the consumer quoting the law, not the price paid
        before = question[max(0, m.start() - 4):m.start()]
        if re.search(r"最少|至少|最低|赔|十倍|三倍|才", before):
            continue
        price = fen
        break
    return price, loss


def _yuan(fen: int) -> str:
    y = Decimal(fen) / 100
    return f"{y:,.2f}".rstrip("0").rstrip(".") + "元"


def calculate(basis: str, price_fen: int | None = None, loss_fen: int | None = None) -> dict[str, Any] | None:
    """The statutory extra compensation for one basis ("fraud", "food", "known_defect")."""
    if basis == "fraud" and price_fen:
        raw = price_fen * 3
        amount = max(raw, 50000)
        steps = f"{_yuan(price_fen)} × 3 = {_yuan(raw)}" + ("，不足500元按500元计算" if raw < 50000 else "")
        return {"basis": basis, "law": CRPL, "article": "第五十五条第一款", "price": _yuan(price_fen),
                "amount": _yuan(amount), "amount_fen": amount, "minimum": "500元", "computation": steps,
                "note": "退还货款之外，另行增加的赔偿。"}
    if basis == "food" and (price_fen or loss_fen):
        options = []
        if price_fen:
            options.append((price_fen * 10, f"价款{_yuan(price_fen)} × 10 = {_yuan(price_fen * 10)}"))
        if loss_fen:
            options.append((loss_fen * 3, f"损失{_yuan(loss_fen)} × 3 = {_yuan(loss_fen * 3)}"))
        raw, steps = max(options)
        if len(options) == 2:
            steps = "；".join(s for _, s in options) + f"，取较高者{_yuan(raw)}"
        amount = max(raw, 100000)
        if raw < 100000:
            steps += "，不足1000元按1000元计算"
        return {"basis": basis, "law": FSL, "article": "第一百四十八条第二款",
                "price": _yuan(price_fen) if price_fen else None, "loss": _yuan(loss_fen) if loss_fen else None,
                "amount": _yuan(amount), "amount_fen": amount, "minimum": "1000元", "computation": steps,
                "note": "赔偿损失之外，另行支付的赔偿金；标签、说明书存在不影响食品安全且不会误导消费者的瑕疵的除外。"}
    if basis == "known_defect" and loss_fen:
        cap = loss_fen * 2
        return {"basis": basis, "law": CRPL, "article": "第五十五条第二款", "loss": _yuan(loss_fen),
                "amount": f"最高{_yuan(cap)}", "amount_fen": cap, "minimum": None,
                "computation": f"损失{_yuan(loss_fen)} × 2 = {_yuan(cap)}（惩罚性赔偿的上限）",
                "note": "经营者明知商品或服务存在缺陷仍提供，造成死亡或健康严重损害的，除赔偿医疗费等损失外，可要求所受损失二倍以下的惩罚性赔偿。"}
    return None


def for_question(question: str, cited: set[tuple[str, int]], amount_claimed: Any = None) -> dict[str, Any] | None:
    """The calculation a compensation question calls for, or None (no amount, or not about compensation)."""
    price, loss = extract_amounts(question)
    if price is None and loss is None:
        price = parse_yuan_amount(amount_claimed)
    if price is None and loss is None:
        return None
    if not _COMPENSATION_Q.search(question) and amount_claimed in (None, ""):
        return None
    if _INJURY_Q.search(question) and _KNOWN_DEFECT_Q.search(question) and loss:
        return calculate("known_defect", loss_fen=loss)
    if ("食品安全法", 148) in cited or _FOOD_Q.search(question):
        return calculate("food", price, loss)
    return calculate("fraud", price or loss)
