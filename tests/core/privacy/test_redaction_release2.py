"""Second-release redaction (issue 14.2, issue 15.9): any person's name, plates, QQ/WeChat ids, order
numbers, phones with any separator or in Chinese numerals, mistyped identity numbers, birth dates."""
import datetime as dt
import random

import pytest

from server.core.person_names import find_names
from server.core.privacy import (
    ACCOUNT_TOKEN,
    BIRTH_TOKEN,
    ID_TOKEN,
    ORDER_TOKEN,
    PHONE_TOKEN,
    PLATE_TOKEN,
    redact,
)

from .helpers import make_bad_id_number
from .measure_names import load, measure


@pytest.mark.parametrize("text, gone, kept", [
    ("店员王秀英态度恶劣，拒绝退款", "王秀英", "店员王**态度恶劣"),
    ("张伟投诉冰箱外观凹痕", "张伟", "张**投诉冰箱外观凹痕"),
    ("客服刘强说三天内处理", "刘强", "客服刘**说"),
    ("欧阳娜娜在门店买的化妆品过敏", "欧阳娜娜", "欧阳**在门店"),
])
def test_names_of_any_person_go_without_being_told_them(text, gone, kept):
    out = redact(text)
    assert gone not in out and kept in out


@pytest.mark.parametrize("text", ["张先生购买的空调坏了", "王经理答应退款", "快递员小李把包裹放在门口",
                                  "在华为旗舰店购买", "王者荣耀充值未到账", "我和小李说好了"])
def test_customary_anonymised_forms_and_brands_stay(text):
    assert redact(text) == text


@pytest.mark.parametrize("plate", ["京A12345", "京AD12345", "粤B·D12345", "沪A12345D", "浙C 8X8X8", "川A1234学"])
def test_vehicle_plates_including_new_energy_plates(plate):
    out = redact(f"车牌号{plate}的车堵了出口")
    assert plate not in out and PLATE_TOKEN in out and "的车堵了出口" in out


def test_a_plate_needs_digits_and_its_own_boundary():
    assert redact("北京APPLE专卖店") == "北京APPLE专卖店"
    assert redact("型号京A12345678") == "型号京A12345678"


@pytest.mark.parametrize("text, secret", [
    ("QQ号12345678", "12345678"), ("微信号 wxid_abc123def456", "wxid_abc123def456"),
    ("微信: abc_123", "abc_123"), ("加我wxid_k2j3h4g5f6", "wxid_k2j3h4g5f6"), ("qq：987654321", "987654321"),
])
def test_qq_and_wechat_ids(text, secret):
    out = redact(text)
    assert secret not in out and ACCOUNT_TOKEN in out


@pytest.mark.parametrize("text, secret", [
    ("订单号DD20260305123456，已付款", "DD20260305123456"), ("订单编号：202603051234", "202603051234"),
    ("运单号SF1234567890123", "SF1234567890123"), ("订单 7788991122 一直未发货", "7788991122"),
])
def test_order_numbers_after_their_label(text, secret):
    out = redact(text)
    assert secret not in out and ORDER_TOKEN in out


def test_model_numbers_and_amounts_are_not_order_numbers():
    text = "型号A2846，订单金额1999元，订单已取消"
    assert redact(text) == text


@pytest.mark.parametrize("phone", ["138.1234.5678", "138_1234_5678", "138/1234/5678", "138·1234·5678",
                                   "138 - 1234 - 5678", "138-1234-5678", "+86.138.1234.5678"])
def test_phones_with_any_separator(phone):  # issue 15.9
    out = redact(f"电话{phone}，速回")
    assert "5678" not in out and PHONE_TOKEN in out


@pytest.mark.parametrize("text", ["一三八一二三四五六七八", "幺三八 一二三四 五六七八", "手机一三九零零零零一二三四"])
def test_phones_in_chinese_numerals(text):  # issue 15.9
    out = redact(f"联系我{text}")
    assert PHONE_TOKEN in out and "五六七八" not in out and "一二三四" not in out


def test_chinese_numerals_that_are_not_a_phone_stay():
    text = "三室一厅，一二三楼都漏水"
    assert redact(text) == text


def test_identity_number_with_a_wrong_check_digit_still_goes():  # issue 15.9
    bad = make_bad_id_number(random.Random(7))
    out = redact(f"身份证号{bad}")
    assert bad not in out and ID_TOKEN in out
    assert redact("身份证110101199003071230") == f"身份证{ID_TOKEN}"


@pytest.mark.parametrize("text", ["出生日期1990年1月1日", "生日：1990-01-01", "1990年1月1日出生", "生于2015年3月2日",
                                  "我1985.12.31生人"])
def test_birth_dates(text):  # issue 15.9
    out = redact(text)
    assert BIRTH_TOKEN in out


def test_recent_purchase_dates_stay():
    last_year = dt.date.today().year - 1
    text = f"{last_year}年3月5日购买，{last_year}-04-01退货"
    assert redact(text) == text


def test_redaction_needs_no_account():
    """The published title reads the same whether or not the consumer's name is passed (erased accounts)."""
    title = "张伟投诉冰箱外观凹痕"
    assert redact(title) == redact(title, ["张伟"]) == "张**投诉冰箱外观凹痕"


# ---- the name finder on the labelled set ---------------------------------------------------------------

# The held-out part measured 0.878 recall and 0.900 precision when the finder was written (36 of 41
# names, 36 of 40 findings); the thresholds leave one sentence of slack each (a name is ~2.4% of the
# set), so a change that loses two or more names, or adds two or more false findings, fails.
HELD_OUT_MIN_RECALL = 0.85
HELD_OUT_MIN_PRECISION = 0.85


def test_labelled_set_is_large_and_split():
    rows = load()
    assert len(rows) >= 100
    dev, test = load("dev"), load("test")
    assert len(dev) >= 50 and len(test) >= 50 and len(dev) + len(test) == len(rows)
    assert {r["text"] for r in dev}.isdisjoint({r["text"] for r in test})
    assert all(n in r["text"] for r in rows for n in r["names"])


def test_held_out_recall_and_precision():
    m = measure(load("test"))
    assert m["recall"] >= HELD_OUT_MIN_RECALL, m["misses"]
    assert m["precision"] >= HELD_OUT_MIN_PRECISION, m["false"]


def test_find_names_gives_positions():
    text = "店员王秀英和经理陈建国"
    assert [(text[s.start:s.end], s.surname) for s in find_names(text)] == [("王秀英", "王"), ("陈建国", "陈")]
