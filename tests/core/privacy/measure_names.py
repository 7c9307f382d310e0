"""Recall and precision of the person-name finder on the labelled sentences of person_names.jsonl.

``python -m tests.core.privacy.measure_names`` prints both for the development part (the one the
finder's word lists were tuned on) and the held-out test part (never tuned on). A found name counts
as correct when it is exactly one of the sentence's labelled names; a labelled name counts as found
when exactly it was found.
"""
from __future__ import annotations

import json
from pathlib import Path

from server.core.person_names import find_names

DATA = Path(__file__).with_name("person_names.jsonl")


def load(split: str | None = None) -> list[dict]:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if split is None or r["split"] == split]


def measure(rows: list[dict]) -> dict:
    tp = fp = fn = 0
    misses, false = [], []
    for r in rows:
        gold = list(r["names"])
        found = [s.name for s in find_names(r["text"])]
        for name in found:
            if name in gold:
                tp += 1
                gold.remove(name)
            else:
                fp += 1
                false.append((r["text"], name))
        fn += len(gold)
        misses += [(r["text"], g) for g in gold]
    return {"sentences": len(rows), "names": tp + fn, "found": tp + fp, "tp": tp, "fp": fp, "fn": fn,
            "recall": tp / (tp + fn) if tp + fn else 1.0, "precision": tp / (tp + fp) if tp + fp else 1.0,
            "misses": misses, "false": false}


def main() -> None:
    for split in ("dev", "test"):
        m = measure(load(split))
        print(f"{split}: {m['sentences']} sentences, {m['names']} names; recall {m['recall']:.3f} "
              f"({m['tp']}/{m['names']}), precision {m['precision']:.3f} ({m['tp']}/{m['found']})")
        if split == "dev":
            for text, name in m["misses"]:
                print(f"  missed {name!r} in {text}")
            for text, name in m["false"]:
                print(f"  wrong  {name!r} in {text}")


if __name__ == "__main__":
    main()
