"""Assistant evaluation: retrieval top-1/top-3, classification accuracy, local consult latency.

Run with `.venv/bin/python eval/run.py` from the repository root. The question and complaint
sets here are held out: the retrieval lexicon and the classifier's training data are separate.
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.core.assist.classify import classify  # noqa: E402
from server.core.assist.consult import consult  # noqa: E402
from server.core.assist.retrieval import get_index, search  # noqa: E402


def load(name: str) -> list[dict]:
    return [json.loads(line) for line in (ROOT / "eval" / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def retrieval(rows: list[dict], verbose: bool) -> tuple[float, float]:
    top1 = top3 = 0
    for r in rows:
        gold = {(a["law"], a["article"]) for a in r["answers"]}
        keys = [(h.article.short_name, h.article.number) for h in search(r["question"], k=3)]
        ok1 = bool(keys) and keys[0] in gold
        ok3 = any(k in gold for k in keys)
        top1 += ok1
        top3 += ok3
        if verbose and not ok1:
            print(f"  {'top3' if ok3 else 'MISS'} {r['question']} -> {keys}")
    return top1 / len(rows), top3 / len(rows)


def classification(rows: list[dict], verbose: bool) -> tuple[float, float]:
    ind = cat = 0
    for r in rows:
        c = classify(r["text"])
        ind += c["industry_code"] == r["industry"]
        cat += c["category"] == r["category"]
        if verbose and (c["industry_code"] != r["industry"] or c["category"] != r["category"]):
            print(f"  {c['industry_code']}/{c['category']} expected {r['industry']}/{r['category']}: {r['text']}")
    return ind / len(rows), cat / len(rows)


def main() -> int:
    verbose = "-v" in sys.argv
    t0 = time.perf_counter()
    get_index()
    build = time.perf_counter() - t0
    questions = load("consult_questions.jsonl")
    complaints = load("complaints.jsonl")
    dev = load("dev_questions.jsonl")
    dev2 = load("dev2_questions.jsonl")
    test = load("test_questions.jsonl")
    t1, t3 = retrieval(questions, verbose)
    d1, d3 = retrieval(dev, False)
    n1, n3 = retrieval(dev2, verbose)
    h1, h3 = retrieval(test, False)  # held out: never printed question by question
    ia, ca = classification(complaints, verbose)
    latencies = []
    for r in (questions + dev2 + test) * 2:
        s = time.perf_counter()
        consult(r["question"], None, {})
        latencies.append((time.perf_counter() - s) * 1000)
    latencies.sort()
    p50 = statistics.median(latencies)
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    print(f"index build (jieba load + BM25): {build * 1000:.0f} ms, articles: {len(get_index().articles)}")
    print(f"retrieval  (eval, {len(questions)} questions): top-1 {t1:.1%}  top-3 {t3:.1%}   [targets 70% / 90%]")
    print(f"retrieval  (dev,  {len(dev)} questions, used for tuning): top-1 {d1:.1%}  top-3 {d3:.1%}")
    print(f"retrieval  (dev2, {len(dev2)} questions on the 26 texts, used for tuning): top-1 {n1:.1%}  top-3 {n3:.1%}")
    print(f"retrieval  (test, {len(test)} held-out questions on the 26 texts): top-1 {h1:.1%}  top-3 {h3:.1%}   [targets 75% / 90%]")
    print(f"classify   ({len(complaints)} complaints): industry {ia:.1%}  category {ca:.1%}   [target industry 85%]")
    print(f"consult local latency ({len(latencies)} calls): p50 {p50:.1f} ms  p95 {p95:.1f} ms   [target p95 < 200 ms]")
    ok = t1 >= 0.70 and t3 >= 0.90 and ia >= 0.85 and p95 < 200
    print("targets met" if ok else "TARGETS NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
