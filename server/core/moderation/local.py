"""The local provider: an Aho-Corasick automaton (pyahocorasick) over a shipped sensitive-word list.

No maintained Chinese sensitive-word package with a bundled list installs from PyPI here (the DFA
filters found either ship no list or have not been released for years), so the list lives in
server/data/moderation/words.txt and MODERATION_WORDS_FILE may name another file of the same format.
Text is normalised before matching (NFKC, lower case, whitespace and punctuation removed) so that
"赌 博-网站" or full-width letters do not slip past.
"""
from __future__ import annotations

import threading
import unicodedata
from pathlib import Path

import ahocorasick

from server.core.moderation.verdict import RANK, Verdict

DEFAULT_WORDS_FILE = Path(__file__).resolve().parents[2] / "data" / "moderation" / "words.txt"

_lock = threading.Lock()
_cache: dict[str, ahocorasick.Automaton] = {}


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch)[0] in "PSZC"))


def parse_words(lines) -> list[tuple[str, str, str]]:
    out = []
    for raw in lines:
        line = raw.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("\t")
        word = normalize(parts[0])
        verdict = parts[1].strip() if len(parts) > 1 else "risky"
        label = parts[2].strip() if len(parts) > 2 else "其他"
        if word and verdict in ("risky", "review"):
            out.append((word, verdict, label))
    return out


def build_automaton(entries: list[tuple[str, str, str]]) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for word, verdict, label in entries:
        old = automaton.get(word, None)
        if old is None or RANK[verdict] > RANK[old[0]]:
            automaton.add_word(word, (verdict, label, word))
    automaton.make_automaton()
    return automaton


def _automaton(path: str | None) -> ahocorasick.Automaton:
    key = str(path or DEFAULT_WORDS_FILE)
    with _lock:
        found = _cache.get(key)
        if found is None:
            with open(key, encoding="utf-8") as f:
                entries = parse_words(f)
            found = _cache[key] = build_automaton(entries)
        return found


class LocalModeration:
    name = "local"

    def __init__(self, words_file: str | None = None, automaton: ahocorasick.Automaton | None = None):
        self.automaton = automaton if automaton is not None else _automaton(words_file)

    def check_text(self, text: str) -> Verdict:
        best: Verdict = Verdict("pass", None, self.name)
        normalized = normalize(text)
        if not normalized or len(self.automaton) == 0:
            return best
        for _end, (verdict, label, _word) in self.automaton.iter(normalized):
            if RANK[verdict] > RANK[best.verdict]:
                best = Verdict(verdict, label, self.name)
                if verdict == "risky":
                    break
        return best
