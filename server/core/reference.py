"""Reference data: NBS administrative divisions, 12315-style industries and complaint categories."""
from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.core.assist.taxonomy import CATEGORIES, INDUSTRIES
from server.core.models import Category, Industry, Region

# server/data, the package's data files (as core/assist and core/moderation find theirs; never server.config).
DATA_DIR = Path(__file__).resolve().parents[1] / "data"


@lru_cache(maxsize=1)
def region_rows() -> tuple[tuple[str, str, str | None, int], ...]:
    """(code, name, parent, level) for every province, prefecture and county, from the NBS 2023 CSVs."""
    base = DATA_DIR / "regions"
    rows: list[tuple[str, str, str | None, int]] = []
    with open(base / "provinces.csv", encoding="utf-8") as f:
        rows += [(r["code"], r["name"], None, 1) for r in csv.DictReader(f)]
    with open(base / "cities.csv", encoding="utf-8") as f:
        rows += [(r["code"], r["name"], r["provinceCode"], 2) for r in csv.DictReader(f)]
    with open(base / "areas.csv", encoding="utf-8") as f:
        rows += [(r["code"], r["name"], r["cityCode"], 3) for r in csv.DictReader(f)]
    return tuple(rows)


@lru_cache(maxsize=1)
def region_index() -> dict[str, tuple[str, str | None, int]]:
    return {code: (name, parent, level) for code, name, parent, level in region_rows()}


def is_county(code: str) -> bool:
    entry = region_index().get(code)
    return entry is not None and entry[2] == 3


def is_region_prefix(code: str) -> bool:
    return code in region_index()


def region_full_name(code: str) -> str:
    parts = []
    idx = region_index()
    while code and code in idx:
        name, parent, _ = idx[code]
        if name not in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
            parts.append(name)
        code = parent or ""
    return "".join(reversed(parts))


def ensure_reference_data(session: Session) -> None:
    """Load divisions, industries and categories once; later runs add what is missing, keep admin edits."""
    if session.execute(select(func.count()).select_from(Region)).scalar_one() < len(region_rows()):
        have = set(session.execute(select(Region.code)).scalars())
        session.add_all(Region(code=c, name=n, parent_code=p, level=lv)
                        for c, n, p, lv in region_rows() if c not in have)
    have_ind = set(session.execute(select(Industry.code)).scalars())
    session.add_all(Industry(code=c, name=n, sort=i) for i, (c, n) in enumerate(INDUSTRIES) if c not in have_ind)
    have_cat = set(session.execute(select(Category.code)).scalars())
    session.add_all(Category(code=c, name=n, sort=i) for i, (c, n) in enumerate(CATEGORIES) if c not in have_cat)
    session.flush()
