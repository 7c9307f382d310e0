"""Generators of identity numbers and bank cards with valid (or deliberately wrong) check digits,
and the renderer that fills them into the redaction corpus."""
from __future__ import annotations

import csv
import datetime as dt
import json
import random
import re
from functools import cache
from pathlib import Path

from server.core.privacy import id_check_digit, is_valid_id_number, luhn_ok

CORPUS = Path(__file__).with_name("corpus.jsonl")
REGIONS = Path(__file__).resolve().parents[3] / "server" / "data" / "regions" / "areas.csv"


@cache
def _area_codes() -> tuple[str, ...]:
    with REGIONS.open(encoding="utf-8") as f:
        return tuple(row["code"] for row in csv.DictReader(f))


def make_id_number(rng: random.Random, *, x_check: bool | None = None) -> str:
    """A resident identity number of a real county with a valid birth date and check digit.

    x_check=True forces the check character X, False forbids it, None takes what comes.
    """
    while True:
        born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 56 * 365))
        first17 = f"{rng.choice(_area_codes())}{born:%Y%m%d}{rng.randrange(1000):03d}"
        check = id_check_digit(first17)
        if x_check is None or x_check == (check == "X"):
            return first17 + check


def make_bad_id_number(rng: random.Random) -> str:
    """18 digits that look like an identity number but carry a wrong check digit (and fail Luhn)."""
    while True:
        first17 = make_id_number(rng)[:17]
        candidate = first17 + rng.choice([d for d in "0123456789" if d != id_check_digit(first17)])
        if not is_valid_id_number(candidate) and not luhn_ok(candidate):
            return candidate


def luhn_complete(prefix: str) -> str:
    """prefix followed by the digit that makes the whole number pass Luhn."""
    for d in "0123456789":
        if luhn_ok(prefix + d):
            return prefix + d
    raise AssertionError("unreachable")


UNIONPAY_BINS = ("622202", "622848", "621700", "622588", "623668", "621226", "622609", "625965")
INTERNATIONAL_BINS = ("438088", "524091", "436742", "545619", "403391")


def make_bank_card(rng: random.Random, length: int = 19) -> str:
    bins = UNIONPAY_BINS if length >= 18 else INTERNATIONAL_BINS + UNIONPAY_BINS
    prefix = rng.choice(bins)
    body = "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    return luhn_complete(prefix + body)


def make_bad_bank_card(rng: random.Random, length: int = 19) -> str:
    """A card-shaped number (UnionPay prefix) whose last digit breaks Luhn."""
    good = make_bank_card(rng, length)
    return good[:-1] + str((int(good[-1]) + rng.randrange(1, 10)) % 10)


def make_order_number(rng: random.Random, length: int = 19, *, luhn: bool = False) -> str:
    """A shop order number; luhn=False guarantees it fails Luhn and the identity-number check."""
    while True:
        first = rng.choice("123456" if luhn else "123456789")
        number = first + "".join(rng.choice("0123456789") for _ in range(length - 1))
        if luhn:
            number = luhn_complete(number[:-1])
            if not is_valid_id_number(number):
                return number
        elif not luhn_ok(number) and not is_valid_id_number(number):
            return number


def make_mobile(rng: random.Random) -> str:
    return rng.choice(["13", "15", "17", "18", "19"]) + str(rng.randrange(0, 10)) + "".join(
        rng.choice("0123456789") for _ in range(8))


def spaced(number: str, size: int = 4) -> str:
    return " ".join(number[i:i + size] for i in range(0, len(number), size))


PLACEHOLDER = re.compile(r"\{([A-Z_0-9]+)\}")
GENERATORS = {
    "ID": lambda r: make_id_number(r, x_check=False),
    "ID2": lambda r: make_id_number(r),
    "IDX": lambda r: make_id_number(r, x_check=True),
    "IDX_LOWER": lambda r: make_id_number(r, x_check=True).lower(),
    "BAD_ID": make_bad_id_number,
    "CARD": lambda r: make_bank_card(r, 19),
    "CARD16": lambda r: make_bank_card(r, 16),
    "CARD_SP": lambda r: spaced(make_bank_card(r, 19)),
    "CARD16_SP": lambda r: spaced(make_bank_card(r, 16)),
    "BAD_CARD": lambda r: make_bad_bank_card(r, 19),
    "ORDER": lambda r: make_order_number(r, 19),
    "ORDER18": lambda r: make_order_number(r, 18),
    "ORDER_LUHN": lambda r: make_order_number(r, 19, luhn=True),
    "MOBILE": make_mobile,
}


def load_corpus() -> list[dict]:
    with CORPUS.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def render(entry: dict, seed: int) -> dict:
    """The entry with every {PLACEHOLDER} replaced by a freshly generated value (same one everywhere)."""
    rng = random.Random(f"{entry['id']}:{seed}")
    values: dict[str, str] = {}

    def fill(s: str) -> str:
        def one(m: re.Match) -> str:
            key = m.group(1)
            if key not in values:
                values[key] = GENERATORS[re.sub(r"_\d+$", "", key)](rng)  # {ID_2}: a second, different ID
            return values[key]
        return PLACEHOLDER.sub(one, s)

    return {
        **entry,
        "text": fill(entry["text"]),
        "must_remove": [fill(s) for s in entry["must_remove"]],
        "must_keep": [fill(s) for s in entry["must_keep"]],
        "values": values,
    }
