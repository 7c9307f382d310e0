"""The complaint processing index formula: pure, deterministic functions over per-business counts.

The incremental recompute (one business after a transition) and the full scheduled recompute
must publish identical numbers, so every sum goes through ``math.fsum`` (exactly rounded, hence
independent of summation order) and rounding happens once, at the end.

Component denominators (``n``), each counted over complaints forwarded to the business in the
trailing ``WINDOW_DAYS`` days:

=============  ======================================  =========================================
component      value (0–100)                           n
=============  ======================================  =========================================
response       100 × answered before the deadline / n   due complaints: forwarded minus those
                                                        still unanswered inside their response
                                                        period (``n_forwarded - n_pending``)
speed          100 × (1 − median hours / deadline h),   due complaints, as for response
               floor 0
settlement     100 × settled directly / n               ``n_forwarded``
cooperation    100 × mediations the business took       ``n_mediation``
               part in / n
mediation      100 × mediations ended resolved / n      ``n_mediation_ended``
satisfaction   (mean rating − 1) × 25                   ``n_ratings``
=============  ======================================  =========================================

A component with ``n == 0`` has no value and takes the industry mean; otherwise it is shrunk
toward the industry mean as ``(n·x + k·mean) / (n + k)``.

What counts (since 2026.2, see ``COUNTING`` and :func:`server.core.scoring.stats.counts_in_index`): only
complaints a person has looked at (a mediator or admin acted on it, or the business answered it), and
never one whose business appeal was upheld.

Unkept settlements (since 2026.3): a complaint whose consumer answered the fulfilment check with
``not_fulfilled`` is not a direct settlement (settlement), and a mediation it went through counts as
ended without success (mediation), for good (:mod:`server.core.scoring.stats`).
"""
from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from server.core.vocabulary import COMPONENTS as COMPONENT_NAMES

FORMULA_VERSION = "2026.3"
FORMULA_DATE = "2026-12-04"  # the day this version took effect
# Every version of the method, newest first: (version, effective date, what changed). Figures already
# published (monthly disclosures, the month-end history rows of past months) keep the version they were
# computed with; the stored bytes of a disclosure never change.
VERSIONS: tuple[tuple[str, str, str], ...] = (
    ("2026.3", FORMULA_DATE,
     "未履行的和解不算和解：和解或调解成功后，消费者在履行回访中反映经营者未履行和解承诺的投诉，不再计为“直接和解”"
     "（和解成功率），经调解的计为调解已结束但未成功（调解成功率）；此后重新调解的结果不改变这一点。"),
    ("2026.2", "2026-12-02",
     "只统计有人看过的投诉：调解员或管理员受理、处理过，或经营者答复过；仅提交、或仅被系统自动受理和转交"
     "（以及随后的超期流转）的投诉不计入。经营者申诉成立的投诉不计入。"),
    ("2026.1", "2026-11-28", "首个版本：统计最近 365 天内转交给经营者的全部投诉。"),
)
WINDOW_DAYS = 365
# 10 working days are about 14 calendar days; the index uses calendar hours so that the
# formula stays a pure function of the counts (the working-day deadline itself is set per
# complaint by the complaint workflow and decides "answered on time").
DEFAULT_DEADLINE_HOURS = 336.0
DEFAULT_WEIGHTS: dict[str, float] = {
    "response": 20,
    "speed": 10,
    "settlement": 25,
    "cooperation": 15,
    "mediation": 15,
    "satisfaction": 15,
}
COMPONENTS: tuple[str, ...] = tuple(DEFAULT_WEIGHTS)
SHRINK_K = 10
MIN_COMPLAINTS = 5
# Used as the industry mean of a component that no business of the industry has data for yet:
# the middle of the scale, so that missing data neither rewards nor punishes.
NEUTRAL_PRIOR = 50.0
# (grade, lowest score that earns it), best first; scores are compared after rounding.
GRADES: tuple[tuple[str, float], ...] = (("A", 90.0), ("B", 80.0), ("C", 70.0), ("D", 60.0), ("E", 0.0))

ComponentValues = dict[str, tuple[float | None, int]]


@dataclass(frozen=True)
class BusinessStats:
    """Raw counts for one business over the window, as one SQL aggregate row can fill them.

    ``median_response_hours`` is the median, over due complaints, of the hours from forwarding
    to the first business response, an unanswered due complaint counting as the full deadline
    (see :func:`median_response_hours`; PostgreSQL's ``percentile_cont(0.5)`` over
    ``LEAST(COALESCE(hours, deadline), deadline)`` gives the same number).
    """

    n_forwarded: int = 0
    n_answered_on_time: int = 0
    median_response_hours: float | None = None
    n_pending: int = 0
    n_responded: int = 0
    n_settled_direct: int = 0
    n_mediation: int = 0
    n_mediation_cooperated: int = 0
    n_mediation_ended: int = 0
    n_mediation_resolved: int = 0
    n_ratings: int = 0
    rating_sum: float = 0

    @property
    def n_due(self) -> int:
        """Forwarded complaints whose answer is due or given: the response/speed denominator."""
        return self.n_forwarded - self.n_pending

    def validate(self) -> None:
        """Raise ValueError when the counts cannot come from one consistent window."""
        counts = {k: getattr(self, k) for k in (
            "n_forwarded", "n_answered_on_time", "n_pending", "n_responded", "n_settled_direct",
            "n_mediation", "n_mediation_cooperated", "n_mediation_ended", "n_mediation_resolved",
            "n_ratings")}
        for name, value in counts.items():
            if value < 0:
                raise ValueError(f"{name} must not be negative")
        checks = (
            (self.n_pending <= self.n_forwarded, "n_pending > n_forwarded"),
            (self.n_answered_on_time <= self.n_due, "n_answered_on_time > due complaints"),
            (self.n_responded <= self.n_forwarded, "n_responded > n_forwarded"),
            (self.n_settled_direct <= self.n_responded, "n_settled_direct > n_responded"),
            (self.n_mediation_cooperated <= self.n_mediation, "n_mediation_cooperated > n_mediation"),
            (self.n_mediation_ended <= self.n_mediation, "n_mediation_ended > n_mediation"),
            (self.n_mediation_resolved <= self.n_mediation_ended,
             "n_mediation_resolved > n_mediation_ended"),
            (self.n_ratings == 0 or self.n_ratings <= self.rating_sum <= 5 * self.n_ratings,
             "rating_sum outside 1..5 per rating"),
            (self.n_ratings > 0 or self.rating_sum == 0, "rating_sum without ratings"),
            (self.n_due == 0 or self.median_response_hours is not None,
             "median_response_hours is required when complaints are due"),
            (self.median_response_hours is None or self.median_response_hours >= 0,
             "median_response_hours must not be negative"),
        )
        for ok, message in checks:
            if not ok:
                raise ValueError(message)


def median_response_hours(
    hours: Iterable[float | None], deadline_hours: float = DEFAULT_DEADLINE_HOURS
) -> float | None:
    """Median hours to first response over due complaints; ``None`` (no answer) counts as the deadline.

    Values are capped at the deadline: past it the speed component is 0 whatever the delay,
    and capping keeps one forgotten complaint from dominating an even-sized median.
    """
    capped = [deadline_hours if h is None else min(float(h), deadline_hours) for h in hours]
    if not capped:
        return None
    return float(statistics.median(capped))


def _share(part: int, n: int) -> float | None:
    return None if n == 0 else 100.0 * part / n


def component_values(
    stats: BusinessStats, deadline_hours: float = DEFAULT_DEADLINE_HOURS
) -> ComponentValues:
    """Each component's raw value (0–100, or None when its n is 0) and its denominator n."""
    if deadline_hours <= 0:
        raise ValueError("deadline_hours must be positive")
    stats.validate()
    n_due = stats.n_due
    speed: float | None = None
    if n_due:
        speed = max(0.0, 100.0 * (1.0 - stats.median_response_hours / deadline_hours))
    satisfaction: float | None = None
    if stats.n_ratings:
        satisfaction = (stats.rating_sum / stats.n_ratings - 1.0) * 25.0
    return {
        "response": (_share(stats.n_answered_on_time, n_due), n_due),
        "speed": (speed, n_due),
        "settlement": (_share(stats.n_settled_direct, stats.n_forwarded), stats.n_forwarded),
        "cooperation": (_share(stats.n_mediation_cooperated, stats.n_mediation), stats.n_mediation),
        "mediation": (_share(stats.n_mediation_resolved, stats.n_mediation_ended), stats.n_mediation_ended),
        "satisfaction": (satisfaction, stats.n_ratings),
    }


def industry_means(values: Iterable[Mapping[str, tuple[float | None, int]]]) -> dict[str, float]:
    """Per component, the n-weighted mean over an industry's businesses (NEUTRAL_PRIOR without data).

    Weighting by n makes the mean the industry's pooled rate (total answered on time over
    total due, and so on), so a business with 2 complaints moves it as little as it should.
    """
    parts: dict[str, list[float]] = {c: [] for c in COMPONENTS}
    counts: dict[str, list[int]] = {c: [] for c in COMPONENTS}
    for business in values:
        for name in COMPONENTS:
            x, n = business.get(name, (None, 0))
            if x is not None and n > 0:
                parts[name].append(x * n)
                counts[name].append(n)
    means = {}
    for name in COMPONENTS:
        total_n = sum(counts[name])
        means[name] = math.fsum(parts[name]) / total_n if total_n else NEUTRAL_PRIOR
    return means


def shrink(x: float | None, n: int, mean: float, k: float = SHRINK_K) -> float:
    """Bayesian shrinkage toward the industry mean: ``(n·x + k·mean) / (n + k)``."""
    if x is None or n <= 0:
        return float(mean)
    return (n * x + k * mean) / (n + k)


def grade(score: float | None) -> str | None:
    """Letter grade A–E for a (rounded) score; None for None."""
    if score is None:
        return None
    for letter, lowest in GRADES:
        if score >= lowest:
            return letter
    return GRADES[-1][0]


def _round(x: float) -> float:
    return round(x + 0, 1)  # + 0 turns -0.0 into 0.0


def normalize_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """Weights for every component, divided by their sum; ValueError on unknown names or a zero sum."""
    unknown = set(weights) - set(COMPONENTS)
    if unknown:
        raise ValueError(f"unknown index components: {', '.join(sorted(unknown))}")
    raw = {name: float(weights.get(name, 0)) for name in COMPONENTS}
    if any(w < 0 or math.isnan(w) or math.isinf(w) for w in raw.values()):
        raise ValueError("weights must be finite and not negative")
    total = math.fsum(raw.values())
    if total <= 0:
        raise ValueError("at least one weight must be positive")
    return {name: w / total for name, w in raw.items()}


@dataclass(frozen=True)
class IndexResult:
    """One business's published index: score, grade (None if insufficient), components and counts."""

    score: float
    grade: str | None
    components: dict[str, float]
    counts: dict[str, int]
    insufficient: bool
    raw: dict[str, float | None] = field(default_factory=dict)
    version: str = FORMULA_VERSION


def compute_index(
    stats: BusinessStats,
    industry_mean: Mapping[str, float],
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
    deadline_hours: float = DEFAULT_DEADLINE_HOURS,
    k: float = SHRINK_K,
) -> IndexResult:
    """The index of one business given its industry's means (see :func:`industry_means`)."""
    share = normalize_weights(weights)
    values = component_values(stats, deadline_hours)
    shrunk = {
        name: shrink(x, n, industry_mean.get(name, NEUTRAL_PRIOR), k) for name, (x, n) in values.items()
    }
    score = _round(math.fsum(share[name] * shrunk[name] for name in COMPONENTS))
    insufficient = stats.n_forwarded < MIN_COMPLAINTS
    return IndexResult(
        score=score,
        grade=None if insufficient else grade(score),
        components={name: _round(shrunk[name]) for name in COMPONENTS},
        counts={name: values[name][1] for name in COMPONENTS},
        insufficient=insufficient,
        raw={name: None if values[name][0] is None else _round(values[name][0]) for name in COMPONENTS},
    )


def compute_industry(
    stats_by_business: Mapping[object, BusinessStats],
    weights: Mapping[str, float] = DEFAULT_WEIGHTS,
    deadline_hours: float = DEFAULT_DEADLINE_HOURS,
) -> tuple[dict[str, float], dict[object, IndexResult]]:
    """Means and every business's index for one industry: what a full recompute does per industry."""
    values = {key: component_values(s, deadline_hours) for key, s in stats_by_business.items()}
    means = industry_means(values.values())
    return means, {
        key: compute_index(s, means, weights, deadline_hours) for key, s in stats_by_business.items()
    }


_COMPONENT_TEXT = {
    "response": (COMPONENT_NAMES["response"], "在响应期限内作出答复的投诉占应答复投诉的比例。"),
    "speed": (COMPONENT_NAMES["speed"], "100 ×（1 − 首次答复所用小时数的中位数 ÷ 响应期限小时数），最低为 0；"
                          "未答复的投诉按用满期限计。"),
    "settlement": (COMPONENT_NAMES["settlement"], "经营者答复后由消费者确认、直接和解的投诉占转交投诉的比例；"
                                                  "消费者反映未履行和解承诺的不计为和解。"),
    "cooperation": (COMPONENT_NAMES["cooperation"], "进入调解的投诉中，经营者答复、到场或提出方案（而非置之不理）的比例。"),
    "mediation": (COMPONENT_NAMES["mediation"], "调解已结束的投诉中，以“已解决”结案的比例；消费者反映未履行"
                                                "调解达成的承诺的，计为调解未成功。"),
    "satisfaction": (COMPONENT_NAMES["satisfaction"], "消费者评分的平均值，1 分对应 0，5 分对应 100。"),
}


COUNTING = {
    "counted": ("一件投诉在有人看过之后才计入经营者的指数：调解员或管理员受理、处理过它（受理、驳回、调解、留言、"
                "处理申诉），或经营者答复过它（答复、提出方案、留言）。"),
    "not_counted": [
        "仅提交、尚无人处理的投诉；",
        "仅被系统自动受理、自动转交，随后又因无人答复而自动转入调解、自动结束的投诉（这些都是定时任务的自动操作，不是人的判断）；",
        "经营者申诉成立的投诉（调解员认定投诉人并非其消费者、重复投诉、恶意投诉或投诉对象错误等）：自申诉成立时起不计入指数和排名，即时生效。",
    ],
    "collective": ("集体投诉：每位加入者提交的都是一件独立的投诉，有自己的金额、处理过程和结果，和其他投诉一样计入"
                   "（不作特殊处理：不合并为一件，也不额外加权）。"),
    "why": ("投诉处理指数公开、影响经营者的声誉。如果未经任何人查看的投诉也计入指数，竞争对手用一批新账号在几分钟内"
            "提交大量虚假投诉，等系统自动受理、转交并超期，就能拉低一家经营者的指数。因此只有经过人（调解员或经营者本人）"
            "处理的投诉才计入；经营者认为投诉不实时可以申诉，由所在地区的调解员裁定。"),
    "appeals": ("申诉：被投诉的经营者可对转交给它的投诉提出申诉（理由：非本商家消费者、重复投诉、恶意投诉、投诉对象错误、其他），"
                "同一投诉同时只能有一项待处理的申诉；由投诉所在地区的调解员或管理员裁定。申诉成立，该投诉立即不再计入该经营者的"
                "指数和排名（投诉本身照常处理）；申诉不成立，该投诉照常计入。申诉和裁定都记入投诉的时间线。"),
    "not_fulfilled": ("履行回访：投诉以约定金额或经营者的承诺（消费者确认的答复方案、调解中提出并达成的方案）解决后，"
                      "平台在约定天数后询问消费者“商家是否已履行和解承诺？”。消费者回答“未履行”并说明情况的，投诉重新"
                      "进入调解，且自该时起这件投诉不再计为经营者的和解（和解成功率），经调解解决的计为调解未成功（调解成功率）。"
                      "回答“已履行”的，照常计入。每件投诉只询问一次、只能回答一次。"),
    "past_periods": "已发布的月度公示和历史月份的月末指数保持发布时的数据和版本，不因方法变更而重算。",
}


def describe_method(
    weights: Mapping[str, float] = DEFAULT_WEIGHTS, deadline_hours: float = DEFAULT_DEADLINE_HOURS
) -> dict:
    """The method in words (Simplified Chinese) and numbers, for GET /public/index-method."""
    share = normalize_weights(weights)
    return {
        "version": FORMULA_VERSION,
        "effective_date": FORMULA_DATE,
        "versions": [{"version": v, "date": d, "changes": text} for v, d, text in VERSIONS],
        "counting": {key: (list(value) if isinstance(value, list) else value) for key, value in COUNTING.items()},
        "window_days": WINDOW_DAYS,
        "window": f"统计转交给经营者的、最近 {WINDOW_DAYS} 天内、且有人看过（见“哪些投诉计入”）的投诉。",
        "deadline_hours": deadline_hours,
        "components": [
            {
                "name": name,
                "label": _COMPONENT_TEXT[name][0],
                "description": _COMPONENT_TEXT[name][1],
                "weight": float(weights.get(name, 0)),
                "weight_share": _round(100 * share[name]),
            }
            for name in COMPONENTS
        ],
        "score": "指数 = 各分项（0–100）按权重加权平均，保留一位小数。",
        "shrinkage": {
            "k": SHRINK_K,
            "formula": "(n·x + k·行业均值) / (n + k)",
            "description": (
                f"为避免投诉量少的经营者因偶然结果排名过高或过低，每个分项都按样本量 n 向所在行业的"
                f"平均值收缩，k = {SHRINK_K}；某分项没有数据时取行业均值，行业也没有数据时取 {NEUTRAL_PRIOR:g}。"
            ),
        },
        "min_complaints": MIN_COMPLAINTS,
        "insufficient": f"统计期内投诉少于 {MIN_COMPLAINTS} 件的经营者标注为“数据不足”，不参与排名和评级。",
        "grades": [{"grade": letter, "min_score": lowest} for letter, lowest in GRADES],
        "grades_text": "A ≥ 90，B ≥ 80，C ≥ 70，D ≥ 60，E 低于 60。",
        "update": "每次投诉状态变化后即时更新该经营者的指数，并定期全量重算；两者结果一致。每月公示冻结当期数据。",
    }
