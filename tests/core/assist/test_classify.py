import json

import pytest

from server.core.assist.classify import TRAIN_FILE, classify, core_name
from server.core.assist.taxonomy import CATEGORIES, INDUSTRIES
from server.core.errors import ValidationFailed

BUSINESSES = [
    (1, "北京京东世纪贸易有限公司"),
    (2, "浙江天猫网络有限公司"),
    (3, "四川海底捞餐饮股份有限公司"),
    (4, "上海某某健身管理有限公司"),
    (5, "深圳市腾讯计算机系统有限公司"),
]


def test_taxonomy_codes():
    assert len(INDUSTRIES) == 18 and INDUSTRIES[0] == ("food", "食品") and INDUSTRIES[-1] == ("other", "其他")
    assert [c for c, _ in CATEGORIES][:3] == ["quality", "safety", "price"] and len(CATEGORIES) == 11


@pytest.mark.parametrize(
    "text, industry, category",
    [
        ("买的酸奶还没过保质期就变质发酸了", "food", "quality"),
        ("空调刚装好就不制冷，售后拖了半个月不上门维修", "appliance", "after_sales"),
        ("话费里每个月多扣二十块钱增值业务费", "telecom_service", "price"),
        ("饭店服务员当众辱骂我，还说我吃霸王餐", "catering", "dignity"),
    ],
)
def test_classify_examples(text, industry, category):
    r = classify(text)
    assert (r["industry_code"], r["category"]) == (industry, category)
    assert 0 < r["confidence"] <= 1


def test_business_named_in_the_text_is_found_by_its_short_name():
    r = classify("我在京东上买的耳机用了三天就坏了，客服不给换", BUSINESSES)
    assert r["business_candidates"][0]["id"] == 1
    assert r["business_candidates"][0]["name"] == "北京京东世纪贸易有限公司"


def test_business_lookup_by_partial_name_and_callable_source():
    calls = []

    def names():
        calls.append(1)
        return iter(BUSINESSES)

    r = classify("海底捞的锅底里有虫子", names)
    assert calls and r["business_candidates"][0]["id"] == 3
    assert classify("京东", BUSINESSES)["business_candidates"][0]["id"] == 1
    assert classify("在街边小店买的鞋开胶了", BUSINESSES)["business_candidates"] == []


def test_core_name_strips_places_legal_forms_and_trade_words():
    assert core_name("北京京东世纪贸易有限公司") == "京东"
    assert core_name("海底捞餐饮股份有限公司北京分公司") == "海底捞"
    assert core_name("深圳市腾讯计算机系统有限公司") == "腾讯"


def test_training_set_is_not_the_evaluation_set():
    train = {json.loads(x)["text"] for x in TRAIN_FILE.read_text(encoding="utf-8").splitlines() if x.strip()}
    from pathlib import Path

    evalset = Path(__file__).resolve().parents[3] / "eval" / "complaints.jsonl"
    ev = {json.loads(x)["text"] for x in evalset.read_text(encoding="utf-8").splitlines() if x.strip()}
    assert len(train) >= 100 and not (train & ev)


@pytest.mark.parametrize("text", ["", "  ", "字" * 5001])
def test_invalid_text(text):
    with pytest.raises(ValidationFailed):
        classify(text)
