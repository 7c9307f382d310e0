"""The law knowledge base: parse the Markdown law texts in server/data/laws into articles."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

LAWS_DIR = Path(__file__).resolve().parents[2] / "data" / "laws"

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_ARTICLE_RE = re.compile(r"^第([零〇一二两三四五六七八九十百千]+)条(?:[\s\u3000]+|$)")
_CHAPTER_RE = re.compile(r"^#{2,3}\s+(第[零〇一二三四五六七八九十百]+章)\s*(.*)$")
_SECTION_RE = re.compile(r"^#{3,4}\s+(第[零〇一二三四五六七八九十百]+节)\s*(.*)$")
_FILE_RE = re.compile(r"^(?P<name>.+?)\((?P<date>\d{4}-\d{2}-\d{2})\)$")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def cn_to_int(text: str) -> int:
    """Chinese numeral as used in article numbers (第一百零五条 -> 105)."""
    total, current = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[ch]
            current = 0
        else:
            raise ValueError(f"not a Chinese numeral: {text!r}")
    return total + current


def int_to_cn(n: int) -> str:
    """Integer 1..9999 to the Chinese numeral used in article numbers (105 -> 一百零五)."""
    if n <= 0:
        raise ValueError("article numbers start at 1")
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n - 10] if n > 10 else "")
    parts: list[str] = []
    zero = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d:
            if zero:
                parts.append("零")
                zero = False
            parts.append(digits[d] + unit)
        elif parts:
            zero = True
    return "".join(parts)


@dataclass(frozen=True)
class Article:
    """One article of a law: `law` is the full title, `short_name` the name from the file."""

    law: str
    short_name: str
    date: str
    chapter: str
    section: str
    number: int
    label: str  # 第二十四条
    text: str  # the article's paragraphs, without the leading 第N条 label

    @property
    def key(self) -> tuple[str, int]:
        return (self.short_name, self.number)

    @property
    def full_text(self) -> str:
        return f"{self.label} {self.text}"

    def citation(self) -> dict[str, str]:
        return {"law": self.law, "article": self.label, "text": self.full_text}


def parse_law(path: Path) -> list[Article]:
    """Split one law file into articles; an article runs until the next paragraph starting 第N条."""
    m = _FILE_RE.match(path.stem)
    short_name, date = (m.group("name"), m.group("date")) if m else (path.stem, "")
    raw = path.read_text(encoding="utf-8")
    title = short_name
    body = raw
    if "<!-- INFO END -->" in raw:
        head, body = raw.split("<!-- INFO END -->", 1)
        for line in head.splitlines():
            if line.startswith("# "):
                title = line[2:].strip()
                break
    chapter = section = ""
    articles: list[Article] = []
    current: dict | None = None

    def flush() -> None:
        if current is not None:
            articles.append(
                Article(
                    law=title,
                    short_name=short_name,
                    date=date,
                    chapter=current["chapter"],
                    section=current["section"],
                    number=current["number"],
                    label=current["label"],
                    text="\n".join(current["paras"]).strip(),
                )
            )

    for para in (p.strip() for p in body.splitlines()):
        if not para:
            continue
        if mc := _CHAPTER_RE.match(para):
            chapter = f"{mc.group(1)} {_squash(mc.group(2))}".strip()
            section = ""
            continue
        if ms := _SECTION_RE.match(para):
            section = f"{ms.group(1)} {_squash(ms.group(2))}".strip()
            continue
        if para.startswith("#"):
            continue
        if ma := _ARTICLE_RE.match(para):
            flush()
            number = cn_to_int(ma.group(1))
            current = {
                "chapter": chapter,
                "section": section,
                "number": number,
                "label": f"第{ma.group(1)}条",
                "paras": [para[ma.end():].strip()],
            }
        elif current is not None:
            current["paras"].append(para)
        # text before the first article (a repeated title) is not part of any article
    flush()
    return articles


@lru_cache(maxsize=4)
def load_articles(laws_dir: str | None = None) -> tuple[Article, ...]:
    """All articles of all law files, cached per process (the files do not change at runtime)."""
    directory = Path(laws_dir) if laws_dir else LAWS_DIR
    out: list[Article] = []
    for path in sorted(directory.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        out.extend(parse_law(path))
    return tuple(out)


def find_article(short_name: str, number: int) -> Article | None:
    """Look one article up by law (short or full name) and number."""
    for a in load_articles():
        if (a.short_name == short_name or a.law == short_name) and a.number == number:
            return a
    return None
