"""The complaint processing index formula: components, shrinkage, grades, weights, determinism."""
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.core.scoring.formula import (
    COMPONENTS,
    DEFAULT_DEADLINE_HOURS,
    DEFAULT_WEIGHTS,
    FORMULA_VERSION,
    GRADES,
    MIN_COMPLAINTS,
    NEUTRAL_PRIOR,
    SHRINK_K,
    BusinessStats,
    component_values,
    compute_index,
    compute_industry,
    describe_method,
    grade,
    industry_means,
    median_response_hours,
    shrink,
)

NEUTRAL = {c: NEUTRAL_PRIOR for c in COMPONENTS}


def stats(**kw):
    base = dict(n_forwarded=20, n_answered_on_time=20, median_response_hours=0.0, n_responded=20)
    base.update(kw)
    return BusinessStats(**base)


def test_constants_match_the_design():
    assert FORMULA_VERSION == "2026.3"
    assert DEFAULT_WEIGHTS == {"response": 20, "speed": 10, "settlement": 25, "cooperation": 15,
                               "mediation": 15, "satisfaction": 15}
    assert SHRINK_K == 10 and MIN_COMPLAINTS == 5
    assert [g for g, _ in GRADES] == ["A", "B", "C", "D", "E"]


def test_response_is_share_answered_on_time_over_due_complaints():
    v = component_values(stats(n_forwarded=10, n_pending=2, n_answered_on_time=6, n_responded=7,
                               median_response_hours=10))
    assert v["response"] == (pytest.approx(75.0), 8)


def test_speed_uses_median_over_deadline_with_floor_zero():
    v = component_values(stats(median_response_hours=84), deadline_hours=336)
    assert v["speed"] == (pytest.approx(75.0), 20)
    v = component_values(stats(median_response_hours=1000), deadline_hours=336)
    assert v["speed"][0] == 0.0
    v = component_values(stats(median_response_hours=24), deadline_hours=48)
    assert v["speed"][0] == pytest.approx(50.0)


def test_median_helper_counts_unanswered_as_the_deadline():
    assert median_response_hours([], 336) is None
    assert median_response_hours([10, 20, 30], 336) == 20
    assert median_response_hours([10, 20], 336) == 15
    assert median_response_hours([10, None, None], 336) == 336
    assert median_response_hours([5, 900], 336) == pytest.approx((5 + 336) / 2)


def test_settlement_cooperation_mediation_satisfaction():
    v = component_values(stats(n_forwarded=20, n_responded=16, n_settled_direct=12, n_mediation=8,
                               n_mediation_cooperated=6, n_mediation_ended=5, n_mediation_resolved=4,
                               n_ratings=4, rating_sum=4 + 5 + 3 + 2))
    assert v["settlement"] == (pytest.approx(60.0), 20)
    assert v["cooperation"] == (pytest.approx(75.0), 8)
    assert v["mediation"] == (pytest.approx(80.0), 5)
    assert v["satisfaction"] == (pytest.approx(62.5), 4)  # mean 3.5 -> (3.5-1)*25


def test_rating_extremes_map_to_0_and_100():
    assert component_values(stats(n_ratings=3, rating_sum=3))["satisfaction"][0] == 0
    assert component_values(stats(n_ratings=3, rating_sum=15))["satisfaction"][0] == 100


def test_components_without_data_are_none():
    v = component_values(BusinessStats())
    assert all(x is None and n == 0 for x, n in v.values())


@pytest.mark.parametrize("bad", [
    dict(n_forwarded=3, n_answered_on_time=4),
    dict(n_forwarded=3, n_pending=4),
    dict(n_forwarded=-1),
    dict(n_mediation=1, n_mediation_ended=2),
    dict(n_mediation=2, n_mediation_ended=2, n_mediation_resolved=3),
    dict(n_ratings=2, rating_sum=11),
    dict(n_forwarded=2, n_responded=1, n_settled_direct=2),
    dict(n_forwarded=2, median_response_hours=None),
])
def test_inconsistent_counts_are_rejected(bad):
    base = dict(n_forwarded=0, n_responded=0, median_response_hours=5.0)
    base.update(bad)
    with pytest.raises(ValueError):
        component_values(BusinessStats(**base))


def test_shrink_formula_and_empty_component():
    assert shrink(100, 10, 50) == pytest.approx(75.0)
    assert shrink(100, 30, 60) == pytest.approx((30 * 100 + 10 * 60) / 40)
    assert shrink(None, 0, 42.0) == 42.0
    assert shrink(80, 0, 42.0) == 42.0
    assert shrink(0, 1000, 50) == pytest.approx(50 * 10 / 1010)


def test_small_business_is_pulled_toward_the_industry_mean():
    perfect_small = stats(n_forwarded=5, n_answered_on_time=5, n_responded=5, n_settled_direct=5)
    perfect_big = stats(n_forwarded=500, n_answered_on_time=500, n_responded=500, n_settled_direct=500)
    means = {c: 40.0 for c in COMPONENTS}
    small = compute_index(perfect_small, means)
    big = compute_index(perfect_big, means)
    assert small.components["response"] == pytest.approx(round((5 * 100 + 10 * 40) / 15, 1))
    assert big.components["response"] > small.components["response"]
    assert big.score > small.score
    # components without data (no mediation, no ratings) take the industry mean
    assert small.components["mediation"] == 40.0 and small.counts["mediation"] == 0


def test_industry_means_are_n_weighted_with_neutral_fallback():
    a = component_values(stats(n_forwarded=10, n_answered_on_time=10, n_responded=10))
    b = component_values(stats(n_forwarded=30, n_answered_on_time=0, n_responded=30))
    means = industry_means([a, b])
    assert means["response"] == pytest.approx(25.0)  # 10 of 40 answered on time, pooled
    assert means["mediation"] == NEUTRAL_PRIOR  # nobody had mediations
    assert industry_means([]) == NEUTRAL


def test_insufficient_data_has_no_grade():
    r = compute_index(stats(n_forwarded=MIN_COMPLAINTS - 1, n_answered_on_time=4, n_responded=4), NEUTRAL)
    assert r.insufficient is True and r.grade is None
    r = compute_index(stats(n_forwarded=MIN_COMPLAINTS, n_answered_on_time=5, n_responded=5), NEUTRAL)
    assert r.insufficient is False and r.grade in {"A", "B", "C", "D", "E"}


@pytest.mark.parametrize("score,expected", [
    (100, "A"), (90.0, "A"), (89.9, "B"), (80.0, "B"), (79.9, "C"), (70.0, "C"),
    (69.9, "D"), (60.0, "D"), (59.9, "E"), (0, "E"), (None, None),
])
def test_grade_boundaries(score, expected):
    assert grade(score) == expected


def test_grade_is_taken_from_the_published_rounded_score():
    # a business whose exact score is 89.96 is shown as 90.0 and must be graded A
    means = {c: 89.96 for c in COMPONENTS}
    fresh = BusinessStats(n_forwarded=5, n_pending=5)  # nothing due yet: only settlement has data
    r = compute_index(fresh, means, weights={c: 1 for c in COMPONENTS if c != "settlement"})
    assert r.score == 90.0 and r.grade == "A" and not r.insufficient
    r = compute_index(BusinessStats(n_forwarded=4, n_pending=4), means)
    assert r.insufficient and r.grade is None


def test_a_perfect_business_scores_100_and_a_silent_one_scores_low():
    perfect = BusinessStats(n_forwarded=1000, n_answered_on_time=1000, median_response_hours=0,
                            n_responded=1000, n_settled_direct=1000, n_mediation=1000,
                            n_mediation_cooperated=1000, n_mediation_ended=1000,
                            n_mediation_resolved=1000, n_ratings=1000, rating_sum=5000)
    r = compute_index(perfect, {c: 100.0 for c in COMPONENTS})
    assert r.score == 100.0 and r.grade == "A"
    silent = BusinessStats(n_forwarded=1000, median_response_hours=DEFAULT_DEADLINE_HOURS,
                           n_mediation=1000)
    r = compute_index(silent, {c: 0.0 for c in COMPONENTS})
    assert r.raw["response"] == 0 and r.raw["speed"] == 0 and r.raw["cooperation"] == 0
    assert r.score == 0.0 and r.grade == "E"


def test_weights_are_configurable_and_normalised():
    s = stats(n_forwarded=100, n_answered_on_time=100, n_responded=100, n_settled_direct=0)
    means = {c: 0.0 for c in COMPONENTS}
    only_response = compute_index(s, means, weights={"response": 1})
    assert only_response.score == pytest.approx(round(100 * 100 / 110, 1))
    only_settlement = compute_index(s, means, weights={"settlement": 7})
    assert only_settlement.score == 0.0
    doubled = compute_index(s, means, weights={k: 2 * v for k, v in DEFAULT_WEIGHTS.items()})
    assert doubled.score == compute_index(s, means).score
    with pytest.raises(ValueError):
        compute_index(s, means, weights={"bogus": 1})
    with pytest.raises(ValueError):
        compute_index(s, means, weights={"response": 0})
    with pytest.raises(ValueError):
        compute_index(s, means, weights={"response": -1, "speed": 2})


def test_score_matches_hand_computation():
    s = BusinessStats(n_forwarded=40, n_answered_on_time=30, median_response_hours=48, n_responded=36,
                      n_settled_direct=20, n_mediation=10, n_mediation_cooperated=8,
                      n_mediation_ended=8, n_mediation_resolved=6, n_ratings=20, rating_sum=80)
    means = {"response": 70, "speed": 60, "settlement": 50, "cooperation": 80, "mediation": 60,
             "satisfaction": 65}
    raw = {"response": 75, "speed": 100 * (1 - 48 / 336), "settlement": 50, "cooperation": 80,
           "mediation": 75, "satisfaction": 75}
    n = {"response": 40, "speed": 40, "settlement": 40, "cooperation": 10, "mediation": 8,
         "satisfaction": 20}
    shrunk = {c: (n[c] * raw[c] + 10 * means[c]) / (n[c] + 10) for c in COMPONENTS}
    expected = sum(DEFAULT_WEIGHTS[c] * shrunk[c] for c in COMPONENTS) / 100
    r = compute_index(s, means)
    assert r.score == round(expected, 1)
    assert r.components == {c: round(shrunk[c], 1) for c in COMPONENTS}
    assert r.counts == n


@st.composite
def business(draw):
    fwd = draw(st.integers(0, 300))
    pending = draw(st.integers(0, fwd))
    due = fwd - pending
    responded = draw(st.integers(0, fwd))
    med = draw(st.integers(0, fwd))
    ended = draw(st.integers(0, med))
    ratings = draw(st.integers(0, 50))
    return BusinessStats(
        n_forwarded=fwd, n_pending=pending, n_answered_on_time=draw(st.integers(0, due)),
        median_response_hours=draw(st.floats(0, 1000, allow_nan=False)) if due else None,
        n_responded=responded, n_settled_direct=draw(st.integers(0, responded)), n_mediation=med,
        n_mediation_cooperated=draw(st.integers(0, med)), n_mediation_ended=ended,
        n_mediation_resolved=draw(st.integers(0, ended)), n_ratings=ratings,
        rating_sum=draw(st.integers(ratings, 5 * ratings)),
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(business(), min_size=1, max_size=12), st.randoms(use_true_random=False))
def test_industry_recompute_is_independent_of_order(businesses, rnd):
    """Incremental and full recomputes visit businesses in different orders: numbers must agree."""
    keyed = {i: s for i, s in enumerate(businesses)}
    means_a, results_a = compute_industry(keyed)
    order = list(keyed)
    rnd.shuffle(order)
    means_b, results_b = compute_industry({i: keyed[i] for i in order})
    assert means_a == means_b  # exact equality, not approx
    assert results_a == results_b
    for r in results_a.values():
        assert 0.0 <= r.score <= 100.0
        assert all(0.0 <= v <= 100.0 for v in r.components.values())
        assert r.score == round(r.score, 1)
        assert (r.grade is None) == r.insufficient


def test_industry_means_exact_under_permutation_with_awkward_floats():
    rnd = random.Random(7)
    values = [{"satisfaction": (rnd.uniform(0, 100), rnd.randint(1, 1000))} for _ in range(500)]
    baseline = industry_means(values)["satisfaction"]
    for _ in range(5):
        rnd.shuffle(values)
        assert industry_means(values)["satisfaction"] == baseline
    assert baseline == pytest.approx(
        math.fsum(x * n for d in values for x, n in d.values()) / sum(n for d in values for _, n in d.values()))


def test_describe_method_lists_everything_the_public_page_needs():
    m = describe_method()
    assert m["version"] == FORMULA_VERSION and m["window_days"] == 365
    assert [c["name"] for c in m["components"]] == list(COMPONENTS)
    assert sum(c["weight_share"] for c in m["components"]) == pytest.approx(100)
    assert all(c["label"] and c["description"] for c in m["components"])
    assert m["shrinkage"]["k"] == SHRINK_K and m["min_complaints"] == MIN_COMPLAINTS
    assert m["grades"][0] == {"grade": "A", "min_score": 90.0}
    custom = describe_method({"response": 1, "settlement": 1})
    shares = {c["name"]: c["weight_share"] for c in custom["components"]}
    assert shares["response"] == 50.0 and shares["speed"] == 0.0
