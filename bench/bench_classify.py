"""Benchmark /assist/classify's business matching at seed scale (42,913 names), without a database.

Names are generated like bench/seed.py's businesses plus a few real brands. Compares the indexed
matcher (NameIndex: cores precomputed once, rapidfuzz.process) with the former per-call loop
(core_name + _name_score for every business), checks both return the same candidates, and prints
p50/p95 of classify() with the names passed in.

    .venv/bin/python bench/bench_classify.py [n_names]
"""
from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.seed import BIZ_SUFFIX, BIZ_WORDS  # noqa: E402
from server.core.assist.classify import NameIndex, _name_score, classify, core_name, name_index  # noqa: E402

PLACES = ["北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "南京", "西安", "重庆", "天津", "苏州"]
BRANDS = ["北京京东世纪贸易有限公司", "浙江天猫网络有限公司", "四川海底捞餐饮股份有限公司", "深圳市腾讯计算机系统有限公司",
          "上海拉扎斯信息科技有限公司", "北京三快在线科技有限公司", "杭州海康威视数字技术股份有限公司"]
TEXTS = [
    "在京东买的手机屏幕有坏点，客服一直推脱不给换", "海底捞服务员态度很差还多收了服务费", "腾讯游戏充值后没有到账",
    "天猫旗舰店卖的鞋子开胶了", "美团外卖送的饭菜有异物", "京东", "海底捞", "jingdong", "haidilao 火锅店吃坏肚子",
    "上海华盛电子商务有限公司12卖给我的耳机是假货", "华盛电子", "买的空调不制冷，售后拖了半个月不上门维修",
    "健身房突然关门跑路了，会员卡的钱退不回来", "鑫达食品有限公司的月饼过期了",
]


def names(n: int) -> list[tuple[int, str]]:
    rng = random.Random(315)
    suffixes = list(BIZ_SUFFIX.values())
    out = [(i + 1, b) for i, b in enumerate(BRANDS)]
    for j in range(len(out) + 1, n + 1):
        out.append((j, f"{rng.choice(PLACES)}{''.join(rng.sample(BIZ_WORDS, 2))}{rng.choice(suffixes)}{j}"))
    return out


def old_match(text: str, items: list[tuple[int, str]], limit: int = 5, threshold: float = 60.0):
    scored = []
    for bid, name in items:
        s = _name_score(text, name, core_name(name))
        if s >= threshold:
            scored.append((s, bid, name))
    scored.sort(key=lambda x: (-x[0], len(x[2]), x[1]))
    return [{"id": b, "name": nm, "score": round(s / 100.0, 3)} for s, b, nm in scored[:limit]]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 42913
    items = names(n)
    classify("预热", [])  # models loaded
    t = time.perf_counter()
    index = name_index(items)
    print(f"index build ({n} names): {(time.perf_counter() - t) * 1000:.0f} ms (once per name-list refresh)")
    index.pinyin()
    # Same candidates and scores as the former loop (all of them, not just the top 5), on 3,000 names.
    small = items[:3000]
    small_index = NameIndex(small)
    same = 0
    for text in TEXTS:
        new = {(c["id"], c["score"]) for c in small_index.match(text, limit=10**6)}
        old = {(c["id"], c["score"]) for c in old_match(text, small, limit=10**6)}
        same += new == old
        if new != old:
            print(f"  differs: {text}: only former {sorted(old - new)[:5]}, only indexed {sorted(new - old)[:5]}")
    lat = []
    for _ in range(5):
        for text in TEXTS:
            s = time.perf_counter()
            classify(text, items)
            lat.append((time.perf_counter() - s) * 1000)
    lat.sort()
    print(f"classify with {n} names ({len(lat)} calls): p50 {statistics.median(lat):.1f} ms  "
          f"p95 {lat[int(len(lat) * 0.95) - 1]:.1f} ms   [target p95 < 10 ms]")
    s = time.perf_counter()
    old_match(TEXTS[0], items)
    print(f"former per-call loop, one call: {(time.perf_counter() - s) * 1000:.0f} ms")
    print(f"same candidates and scores as the former loop (3,000 names): {same}/{len(TEXTS)} texts")


if __name__ == "__main__":
    main()
