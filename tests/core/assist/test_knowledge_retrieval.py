from collections import Counter

import pytest

from server.core.assist.knowledge import cn_to_int, find_article, int_to_cn, load_articles
from server.core.assist.retrieval import search


def test_every_law_parses_into_consecutive_articles():
    arts = load_articles()
    counts = Counter(a.short_name for a in arts)
    assert counts["消费者权益保护法"] == 63
    assert counts["电子商务法"] == 89
    assert counts["产品质量法"] == 74
    assert counts["个人信息保护法"] == 74
    assert counts["食品安全法"] == 154
    assert len(counts) == 26
    for law in counts:
        numbers = [a.number for a in arts if a.short_name == law]
        # the Civil Code's books are numbered through the whole Code (合同编 463.., 侵权责任编 1164..)
        start = {"民法典合同编": 463, "民法典侵权责任编": 1164}.get(law, 1)
        assert numbers == list(range(start, start + len(numbers))), law


def test_article_fields_and_multi_paragraph_text():
    a = find_article("消费者权益保护法", 25)
    assert a.label == "第二十五条" and a.law == "中华人民共和国消费者权益保护法"
    assert a.chapter == "第三章 经营者的义务"
    # the article spans three paragraphs; the last one sets the seven-day refund deadline
    assert "七日内返还消费者支付的商品价款" in a.text and a.text.count("\n") >= 2
    assert not a.text.startswith("第二十五条")
    assert find_article("电子商务法", 38).section == "第二节 电子商务平台经营者"


def test_chinese_numerals_round_trip():
    assert cn_to_int("一百零五") == 105 and cn_to_int("二十四") == 24 and cn_to_int("十") == 10
    assert [int_to_cn(n) for n in (1, 10, 11, 20, 55, 100, 105, 110)] == ["一", "十", "十一", "二十", "五十五", "一百", "一百零五", "一百一十"]


@pytest.mark.parametrize(
    "question, law, number",
    [
        ("网上买的鞋子不合适，七天无理由退货可以吗", "消费者权益保护法", 25),
        ("商家卖假货，能不能退一赔三", "消费者权益保护法", 55),
        ("健身房办的预付卡老板跑路了怎么办", "消费者权益保护法", 53),
        ("新车发动机坏了，三包期内能换车吗", "家用汽车产品修理更换退货责任规定", 20),
        ("快递在运输中丢了，商家让我找快递公司", "电子商务法", 20),
    ],
)
def test_retrieval_finds_the_governing_article_in_top3(question, law, number):
    keys = [(h.article.short_name, h.article.number) for h in search(question, k=3)]
    assert (law, number) in keys


def test_explicit_article_reference_comes_first():
    hits = search("电子商务法第三十八条说了什么", k=3)
    assert (hits[0].article.short_name, hits[0].article.number) == ("电子商务法", 38)


def test_nonsense_and_empty_queries_find_nothing():
    assert search("") == []
    assert search("qwxz") == []
