"""Personal data under PIPL: masking for display, field encryption with look-up hashes, validators,
and redaction of public complaint text.

Redaction is deliberately conservative about what it calls personal data: digit runs are only
removed when they validate as what they claim to be (mobile number pattern, landline with area
code, GB 11643 identity-number check digit and birth date, Luhn for bank cards), so order
numbers, amounts, dates and model numbers stay and the published case stays meaningful.
"""
from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import hmac
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# ---------------------------------------------------------------------------------------------
# Validation and normalisation
# ---------------------------------------------------------------------------------------------

# Full-width digits, letters and the few symbols that occur in numbers are mapped one character
# to one character, so positions found in the mapped text are positions in the original.
_WIDTH_MAP = {0xFF10 + i: ord("0") + i for i in range(10)}
_WIDTH_MAP.update({0xFF21 + i: ord("A") + i for i in range(26)})
_WIDTH_MAP.update({0xFF41 + i: ord("a") + i for i in range(26)})
_WIDTH_MAP.update({ord("＋"): ord("+"), ord("－"): ord("-"), ord("＠"): ord("@"), ord("．"): ord("."),
                   ord("\u3000"): ord(" "), ord("—"): ord("-"), ord("–"): ord("-"), ord("＿"): ord("_")})

_MOBILE_RE = re.compile(r"1[3-9]\d{9}")
# Landline with area code: 010/02x + 8 digits, or a 4-digit area code + 7-8 digits.
_LANDLINE_RE = re.compile(r"0(?:10|2\d)[1-9]\d{7}|0[3-9]\d{2}[1-9]\d{6,7}")


def _narrow(text: str) -> str:
    return text.translate(_WIDTH_MAP)


def normalize_phone(value: str) -> str:
    """A mainland mobile number as its 11 digits; accepts +86/0086, spaces, dashes; ValueError otherwise."""
    s = re.sub(r"[\s\-()（）]", "", _narrow(str(value)))
    if s.startswith("+86"):
        s = s[3:]
    elif s.startswith("0086"):
        s = s[4:]
    elif len(s) == 13 and s.startswith("86"):
        s = s[2:]
    if not _MOBILE_RE.fullmatch(s):
        raise ValueError("不是有效的中国大陆手机号码")
    return s


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# Province-level codes of GB/T 2260, plus 81/82/83 used by residence permits for
# Hong Kong, Macao and Taiwan residents.
_ID_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 "
    "61 62 63 64 65 71 81 82 83".split()
)


def id_check_digit(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits of a resident identity number."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def is_valid_id_number(value: str, today: _dt.date | None = None) -> bool:
    """True for an 18-character resident identity number with a sane birth date and check digit."""
    s = _narrow(str(value)).strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", s) or s[:2] not in _ID_PROVINCES:
        return False
    try:
        born = _dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    today = today or _dt.date.today()
    if born.year < 1900 or born > today:
        return False
    return id_check_digit(s[:17]) == s[17]


def luhn_ok(value: str) -> bool:
    """True when the digits (spaces and dashes allowed between them) pass the Luhn check."""
    s = re.sub(r"[\s\-]", "", _narrow(str(value)))
    if len(s) < 2 or not s.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(s)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


# ---------------------------------------------------------------------------------------------
# Masking for display
# ---------------------------------------------------------------------------------------------

def mask_phone(value: str) -> str:
    """``13812345678`` -> ``138****5678``; other strings keep their first 3 and last 4 characters."""
    try:
        s = normalize_phone(value)
    except ValueError:
        s = re.sub(r"\s", "", str(value))
    if len(s) < 8:
        return "*" * len(s)
    return s[:3] + "*" * (len(s) - 7) + s[-4:]


def mask_id_number(value: str) -> str:
    """``110101199003071234`` -> ``110***********1234``: first 3 and last 4 kept."""
    s = re.sub(r"\s", "", _narrow(str(value))).upper()
    if len(s) < 8:
        return "*" * len(s)
    return s[:3] + "*" * (len(s) - 7) + s[-4:]


_COMPOUND_SURNAMES = frozenset(
    "欧阳 太史 端木 上官 司马 东方 独孤 南宫 万俟 闻人 夏侯 诸葛 尉迟 公羊 赫连 澹台 皇甫 宗政 濮阳 "
    "公冶 太叔 申屠 公孙 慕容 仲孙 钟离 长孙 宇文 司徒 鲜于 司空 闾丘 子车 亓官 司寇 巫马 公西 "
    "颛孙 壤驷 公良 漆雕 乐正 宰父 谷梁 拓跋 夹谷 轩辕 令狐 段干 百里 呼延 东郭 南门 羊舌 微生 "
    "公户 公玉 公仪 梁丘 公仲 公上 公门 公山 公坚 左丘 公伯 西门 公祖 第五 公乘 贯丘 公皙 南荣 "
    "东里 东宫 仲长 子书 子桑 即墨 达奚 褚师".split()
)
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff"


def _surname_len(name: str) -> int:
    return 2 if len(name) >= 3 and name[:2] in _COMPOUND_SURNAMES else 1


def mask_name(value: str) -> str:
    """``张三`` -> ``张*``, ``欧阳娜娜`` -> ``欧阳**``; Latin names keep each word's initial."""
    s = str(value).strip()
    if not s:
        return s
    if re.fullmatch(f"[{_HAN}·]+", s):
        keep = _surname_len(s) if len(s) > 1 else 0
        return s[:keep] + "*" * (len(s) - keep)
    return " ".join(w[:1] + "*" * (len(w) - 1) for w in s.split())


def mask_email(value: str) -> str:
    """``zhangsan@example.com`` -> ``z***@example.com``."""
    s = str(value).strip()
    local, at, domain = s.rpartition("@")
    if not at or not local:
        return "*" * len(s)
    return (local[0] if len(local) > 1 else "") + "***@" + domain


# ---------------------------------------------------------------------------------------------
# Field encryption and look-up hashes
# ---------------------------------------------------------------------------------------------

_VERSION = "v1"
_KEY_ID_LEN = 4
_NONCE_LEN = 12


def _hkdf(material: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"smart315/field", info=info).derive(material)


@dataclass(frozen=True)
class _Key:
    key_id: bytes
    aead: AESGCM
    mac_key: bytes


def _make_key(material: str) -> _Key:
    if not material:
        raise ValueError("key material must not be empty")
    raw = material.encode("utf-8")
    enc = _hkdf(raw, b"smart315 field encryption v1")
    return _Key(
        key_id=_hkdf(raw, b"smart315 key id v1")[:_KEY_ID_LEN],
        aead=AESGCM(enc),
        mac_key=_hkdf(raw, b"smart315 lookup hash v1"),
    )


def normalize_for_lookup(value: str, kind: str = "auto") -> str:
    """The canonical form that equal values share: phone digits, identity numbers upper-case, e-mail lower-case.

    ``kind`` is ``phone``, ``id_number``, ``email``, ``text`` or ``auto`` (decide from the value).
    """
    s = unicodedata.normalize("NFKC", str(value)).strip()
    if kind == "auto":
        compact = re.sub(r"[\s\-]", "", s)
        if "@" in s:
            kind = "email"
        elif re.fullmatch(r"\d{17}[\dXx]", compact):
            kind = "id_number"
        else:
            try:
                return normalize_phone(s)
            except ValueError:
                kind = "text"
    if kind == "phone":
        try:
            return normalize_phone(s)
        except ValueError:
            return re.sub(r"\D", "", s)
    if kind == "id_number":
        return re.sub(r"[\s\-]", "", s).upper()
    if kind == "email":
        return s.lower()
    if kind == "text":
        return re.sub(r"\s+", " ", s)
    raise ValueError(f"unknown look-up kind {kind!r}")


class FieldCipher:
    """AES-256-GCM field encryption plus HMAC-SHA256 look-up hashes, with key rotation.

    Keys are derived from ``current`` (and each of ``previous``) with HKDF-SHA256; the
    encryption key, the look-up hash key and a 4-byte key id are separate derivations.
    Ciphertexts are ``"v1:" + base64(key_id ‖ nonce ‖ ciphertext ‖ tag)`` and decrypt with any
    configured key; new ones always use ``current``. Look-up hashes use ``current`` only, so a
    rotation must re-hash stored rows: run :meth:`rehash` over each stored ciphertext (it
    re-encrypts too) and, until that finishes, look up with :meth:`lookup_hashes`, which gives
    the hash under every configured key.
    """

    def __init__(self, key_material: str, previous: Sequence[str] = ()):
        self._current = _make_key(key_material)
        self._keys = [self._current] + [_make_key(m) for m in previous]

    def encrypt(self, plaintext: str, *, context: str = "") -> str:
        """Encrypt a string; ``context`` (e.g. ``"user.phone"``) must be given again to decrypt."""
        nonce = os.urandom(_NONCE_LEN)
        key = self._current
        sealed = key.aead.encrypt(nonce, str(plaintext).encode("utf-8"), self._aad(key.key_id, context))
        return f"{_VERSION}:" + base64.b64encode(key.key_id + nonce + sealed).decode("ascii")

    def decrypt(self, token: str, *, context: str = "") -> str:
        """The plaintext; ValueError when the token is malformed, tampered with or from an unknown key."""
        key_id, nonce, sealed = self._split(token)
        candidates = [k for k in self._keys if k.key_id == key_id]
        for key in candidates:
            try:
                return key.aead.decrypt(nonce, sealed, self._aad(key_id, context)).decode("utf-8")
            except InvalidTag:
                continue
        if not candidates:
            raise ValueError("encrypted value uses a key that is not configured")
        raise ValueError("encrypted value was modified or the context does not match")

    def needs_rotation(self, token: str) -> bool:
        """True when the token was not encrypted with the current key."""
        return self._split(token)[0] != self._current.key_id

    def lookup_hash(self, value: str, kind: str = "auto") -> str:
        """HMAC-SHA256 (hex) of the normalised value under the current key, for equality look-ups."""
        return self._hash(self._current, value, kind)

    def lookup_hashes(self, value: str, kind: str = "auto") -> list[str]:
        """The look-up hash under every configured key, current first (for use during a rotation)."""
        return [self._hash(k, value, kind) for k in self._keys]

    def rehash(self, token: str, kind: str = "auto", *, context: str = "") -> tuple[str, str]:
        """(ciphertext under the current key, look-up hash under the current key) for a stored token."""
        plain = self.decrypt(token, context=context)
        return self.encrypt(plain, context=context), self.lookup_hash(plain, kind)

    @staticmethod
    def _aad(key_id: bytes, context: str) -> bytes:
        return f"smart315:{_VERSION}:{context}:".encode() + key_id

    @staticmethod
    def _hash(key: _Key, value: str, kind: str) -> str:
        data = normalize_for_lookup(value, kind).encode("utf-8")
        return hmac.new(key.mac_key, data, hashlib.sha256).hexdigest()

    @staticmethod
    def _split(token: str) -> tuple[bytes, bytes, bytes]:
        version, sep, body = str(token).partition(":")
        if not sep or version != _VERSION:
            raise ValueError("unsupported encrypted value format")
        try:
            raw = base64.b64decode(body.encode("ascii"), validate=True)
        except (ValueError, UnicodeEncodeError) as exc:
            raise ValueError("encrypted value is not valid base64") from exc
        if len(raw) < _KEY_ID_LEN + _NONCE_LEN + 16:
            raise ValueError("encrypted value is too short")
        return raw[:_KEY_ID_LEN], raw[_KEY_ID_LEN:_KEY_ID_LEN + _NONCE_LEN], raw[_KEY_ID_LEN + _NONCE_LEN:]


# ---------------------------------------------------------------------------------------------
# Redaction of public complaint text
# ---------------------------------------------------------------------------------------------

PHONE_TOKEN = "[电话已隐藏]"
ID_TOKEN = "[证件号已隐藏]"
EMAIL_TOKEN = "[邮箱已隐藏]"
BANK_TOKEN = "[银行卡号已隐藏]"
ADDRESS_TOKEN = "[地址已隐藏]"
NAME_TOKEN = "[姓名已隐藏]"
ACCOUNT_TOKEN = "[账号已隐藏]"
PLATE_TOKEN = "[车牌号已隐藏]"
ORDER_TOKEN = "[订单号已隐藏]"
BIRTH_TOKEN = "[出生日期已隐藏]"

_EMAIL_RE = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# A run of digit groups joined by one space or dash ("138 1234 5678", "6222-0212-...").
_DIGITS_RE = re.compile(r"(?<!\d)\d+(?:(?:[ \t]?[\-._/·][ \t]?|[ \t])\d+)*[Xx]?")
_GROUP_RE = re.compile(r"\d+[Xx]?")
_LANDLINE_PAREN_RE = re.compile(r"[（(]\s*0\d{2,3}\s*[)）]\s*-?\s*[1-9]\d{2,3}[ \-]?\d{4}(?!\d)")
_PHONE_PREFIX_RE = re.compile(r"(?:\+|00)?86[ \t\-]?$|[（(](?:\+|00)?86[)）][ \t\-]?$|\+$")
_PHONE_LABEL_RE = re.compile(r"(?:电话|座机|固话|手机|联系方式|tel|Tel|TEL)[^\d，。；;,\n]{0,6}$")
# Labels that say a number is an order, invoice, waybill or device number, not personal data.
_OTHER_NUMBER_LABEL_RE = re.compile(
    r"(?:订单|单号|编号|编码|运单|快递|物流|流水|工单|合同|发票|代码|批次|序列号|串号|IMEI|SN|会员号|券码|兑换码|保单|报案号)")
_PERSONAL_LABEL_RE = re.compile(r"(?:卡号|银行卡|储蓄卡|信用卡|借记卡|账号|账户|卡|电话|座机|手机|联系)")
_CLAUSE_END = re.compile(r"[，。；;,.!！?？\n]")
_ACCOUNT_RE = re.compile(
    r"(?:微信号?|[Vv]信号?|vx|VX|wx|WX|WeChat|wechat|QQ号?|qq号?|Qq号?|扣扣号?|企鹅号?)"
    r"(?:号码|账号|帐号|id|ID)?\s*(?:是|为|：|:)?\s*"
    r"(?P<id>[A-Za-z][A-Za-z0-9_\-]{5,29}|[1-9]\d{4,11})(?![A-Za-z0-9_\-@])")
# A WeChat id in its generated form needs no label.
_WXID_RE = re.compile(r"(?<![A-Za-z0-9_])wxid_[A-Za-z0-9_\-]{4,30}")
# Plates: province abbreviation, issuing-office letter, then 5 characters, or 6 for new-energy plates
# (D/F then a letter or digit and 4 digits for small cars; 5 digits then D/F for large ones).
_PLATE_RE = re.compile(
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领][A-HJ-NP-Z]\s?[·•.\-]?\s?"
    r"(?:[DF][A-HJ-NP-Z0-9]\d{4}|\d{5}[DF]|[A-HJ-NP-Z0-9]{4}[A-HJ-NP-Z0-9挂学警港澳])(?![A-Za-z0-9])")
# An order or waybill number after its label.
_ORDER_RE = re.compile(
    r"(?:订单号|订单编号|订单|运单号|运单编号|快递单号|物流单号|交易单号|交易号|单号)(?:码)?\s*(?:是|为|：|:)?\s*"
    r"(?P<no>[A-Za-z0-9][A-Za-z0-9\-_]{5,39})(?![A-Za-z0-9])")
# Mobile numbers written in Chinese numerals (一三八一二三四五六七八, 幺 for one).
_HAN_DIGITS = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0", "幺": "1", "两": "2"}
_HAN_PHONE_RE = re.compile(r"[〇零一幺二两三四五六七八九](?:[ \t\-]?[〇零一幺二两三四五六七八九]){10,12}")
# A full date: 1990年1月1日, 1990-01-01, 1990/1/1, 1990.1.1.
_DATE = r"(?P<y>(?:19|20)\d{2})\s*(?:年|[\-/.])\s*(?P<m>\d{1,2})\s*(?:月|[\-/.])\s*(?P<d>\d{1,2})(?:\s*[日号])?"
_DATE_RE = re.compile(rf"(?<!\d){_DATE}(?!\d)")
_BIRTH_LABEL_RE = re.compile(r"(?:出生|生日|生于|诞辰|出生年月)[^\d，。；;,\n]{0,6}$")
# An unlabelled full date this many years back or more is taken as a birth date, not a purchase date.
BIRTH_DATE_YEARS = 12
_LABELLED_NAME_RE = re.compile(
    r"(?:姓名|收件人|收货人|联系人|持卡人|开户名|户名|本人名字叫|我叫)\s*(?:是|为|：|:)?\s*"
    f"(?P<name>[{_HAN}]{{2,4}}?)(?=[，。；;,\\s、（(：:）)电手身]|$)")
_ROAD = (r"(?:大道|大街|胡同|(?<![通隧频跑车轨航赛渠管街])道|路|街|巷|弄|村)")
_ADDR_CHARS = r"[^\s\d，。、；;：:,.!！?？（）()“”\"'在住于到是为的址寄送往去从与跟把被我你他她买]"
_NUM = r"[0-9]+(?:-[0-9]+)?号(?:院|楼)?"
_UNIT = (r"(?:(?:[0-9A-Za-z]{1,4}|[一二三四五六七八九十]{1,3})(?:栋|幢|座|号楼|单元|楼|层|室|户|号|期|区|-))*"
         r"(?:[0-9]{3,4}(?:室|房)?)?")
_ROAD_ADDRESS_RE = re.compile(rf"(?P<head>{_ADDR_CHARS}{{1,14}}?{_ROAD})(?P<num>{_NUM})(?P<unit>{_UNIT})")
_ESTATE_ADDRESS_RE = re.compile(
    rf"(?P<head>{_ADDR_CHARS}{{1,14}}?(?:小区|公寓|新村|公馆|大厦|社区|苑|庭|府|村|园|城|湾|轩|居|阁))"
    rf"(?P<unit>(?:(?:[0-9A-Za-z]{{1,4}}|[一二三四五六七八九十]{{1,3}})(?:栋|幢|座|号楼|单元|楼|层|室|户|号|期|区|-))+"
    r"(?:[0-9]{3,4}(?:室|房)?)?)")
_ESTATE_STRONG = re.compile(r"栋|幢|号楼|单元|室|户|房|\d{3,4}$")
# Administrative prefix kept in front of an address: the detail starts after its last suffix.
_ADMIN_SUFFIX_RE = re.compile(r"(?:省|自治区|市|自治州|地区|盟|区|县|旗|镇|乡)")


@dataclass(frozen=True, order=True)
class _Span:
    start: int
    end: int
    token: str


def _classify_digits(digits: str, ctx_before: str, letter_prefixed: bool) -> str | None:
    """Which personal number a separator-free digit string is, if any.

    ``ctx_before`` is the text just before the number: when its clause names the number as an
    order, invoice or device number, a Luhn pass or a leading 0 is a coincidence, not a card
    or a landline (mobile and identity numbers are distinctive enough to go regardless).
    """
    if _MOBILE_RE.fullmatch(digits):
        return PHONE_TOKEN
    if len(digits) == 13 and digits.startswith("86") and _MOBILE_RE.fullmatch(digits[2:]):
        return PHONE_TOKEN
    if len(digits) == 15 and digits.startswith("0086") and _MOBILE_RE.fullmatch(digits[4:]):
        return PHONE_TOKEN
    if len(digits) == 18 and is_valid_id_number(digits):  # distinctive enough to go even inside a code
        return ID_TOKEN
    if len(digits) == 18 and _id_shaped(digits) and not _labelled_as_other_number(ctx_before):
        return ID_TOKEN  # a mistyped check digit leaves it an identity number (personal data) all the same
    if _LANDLINE_RE.fullmatch(digits):
        return None if _labelled_as_other_number(ctx_before) else PHONE_TOKEN
    if letter_prefixed:
        return None
    if 16 <= len(digits) <= 19 and digits.isdigit() and _card_prefix(digits) and luhn_ok(digits):
        return None if _labelled_as_other_number(ctx_before) else BANK_TOKEN
    return None


def _id_shaped(digits: str) -> bool:
    """An identity number but for its check digit: province code and a sane birth date."""
    if not re.fullmatch(r"\d{17}[\dX]", digits) or digits[:2] not in _ID_PROVINCES:
        return False
    try:
        born = _dt.date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))
    except ValueError:
        return False
    return 1900 <= born.year and born <= _dt.date.today()


def _labelled_as_other_number(ctx_before: str) -> bool:
    """True when the nearest label in the clause before a number calls it an order/invoice/... number."""
    clause = _CLAUSE_END.split(ctx_before)[-1]
    other = [m.end() for m in _OTHER_NUMBER_LABEL_RE.finditer(clause)]
    personal = [m.end() for m in _PERSONAL_LABEL_RE.finditer(clause)]
    return bool(other) and (not personal or max(other) > max(personal))


def _card_prefix(digits: str) -> bool:
    """Issuer prefixes of cards used in China: UnionPay 62/60/9, Visa 4, Mastercard 5 and 2221–2720, JCB 35."""
    return digits[0] in "34569" or 2221 <= int(digits[:4]) <= 2720


_MAX_NUMBER_DIGITS = 19  # the longest personal number (a bank card); bounds the work per digit run


def _digit_spans(text: str) -> list[_Span]:
    spans: list[_Span] = []
    for m in _DIGITS_RE.finditer(text):
        groups = [(g.start() + m.start(), g.end() + m.start()) for g in _GROUP_RE.finditer(m.group())]
        found: list[tuple[int, int, int, str]] = []  # (-length, start, end, token)
        for i in range(len(groups)):
            digits = ""
            for j in range(i, len(groups)):
                if digits.endswith("X"):
                    break
                digits += text[groups[j][0]:groups[j][1]].upper()
                if len(digits) > _MAX_NUMBER_DIGITS:
                    break
                if len(digits) < 7:  # shorter than any number redaction looks for
                    continue
                start, end = groups[i][0], groups[j][1]
                # a letter in front makes it the tail of a code (SF…, DD…): not a card or landline
                prefixed = start > 0 and text[start - 1].isascii() and text[start - 1].isalpha()
                token = _classify_digits(digits, text[max(0, start - 16):start], prefixed)
                if token is None and digits.endswith("X"):
                    # "…091XiPhone" may be an identity number glued to a word, "…5678Xiaomi" a phone
                    # glued to one: the X belongs to whichever reading is a personal number.
                    token = _classify_digits(digits[:-1], text[max(0, start - 16):start], prefixed)
                    if token is not None and token != ID_TOKEN:
                        end -= 1
                if token is None and len(digits) in (7, 8) and digits[0] in "23456789" and \
                        _PHONE_LABEL_RE.search(text[max(0, start - 10):start]):
                    token = PHONE_TOKEN  # a local landline number right after a phone label
                if token:
                    found.append((-len(digits), start, end, token))
        for start, end, token in _without_overlaps((start, end, token) for _n, start, end, token in sorted(found)):
            if token == PHONE_TOKEN:
                prefix = _PHONE_PREFIX_RE.search(text[max(0, start - 8):start])
                if prefix:
                    start -= len(prefix.group())
            spans.append(_Span(start, end, token))
    return spans


def _without_overlaps(candidates: Iterable[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Keep each candidate (in the given order of preference) that overlaps none kept before it."""
    kept: list[tuple[int, int, str]] = []
    covered: set[int] = set()
    for start, end, token in candidates:
        if end <= start or any(p in covered for p in range(start, end)):
            continue
        covered.update(range(start, end))
        kept.append((start, end, token))
    return kept


def _address_spans(text: str) -> list[_Span]:
    spans = []
    for regex in (_ROAD_ADDRESS_RE, _ESTATE_ADDRESS_RE):
        for m in regex.finditer(text):
            if regex is _ESTATE_ADDRESS_RE and not _ESTATE_STRONG.search(m.group("unit")):
                continue
            head = m.group("head")
            cut = 0
            for a in _ADMIN_SUFFIX_RE.finditer(head[:-1]):
                cut = a.end()
            if cut >= len(head) - 1:
                continue
            spans.append(_Span(m.start() + cut, m.end(), ADDRESS_TOKEN))
    # A road address and the estate after it ("…路77号金地花园12栋…") overlap: one span for both.
    merged: list[_Span] = []
    for span in sorted(spans):
        if merged and span.start <= merged[-1].end:
            last = merged.pop()
            span = _Span(last.start, max(last.end, span.end), ADDRESS_TOKEN)
        merged.append(span)
    return merged


def _name_spans(text: str, names: Iterable[str]) -> list[_Span]:
    spans = []
    for raw in names:
        name = re.sub(r"\s+", "", str(raw or ""))
        if len(name) < 2:
            continue
        is_han = re.fullmatch(f"[{_HAN}·]+", name) is not None
        replacement = (name[:_surname_len(name)] + "**") if is_han else NAME_TOKEN
        flags = 0 if is_han else re.IGNORECASE
        for m in re.finditer(re.escape(name), text, flags):
            spans.append(_Span(m.start(), m.end(), replacement))
        given = name[_surname_len(name):] if is_han else ""
        if len(given) >= 2:  # the given name on its own ("晓明说…"); one character is too ambiguous
            for m in re.finditer(re.escape(given), text):
                spans.append(_Span(m.start(), m.end(), "**"))
    for m in _LABELLED_NAME_RE.finditer(text):
        name = m.group("name")
        spans.append(_Span(m.start("name"), m.end("name"), name[:_surname_len(name)] + "**"))
    return spans


def _person_name_spans(text: str) -> list[_Span]:
    """Names of any person (店员王秀英, 张伟投诉…), found without being told them: see person_names."""
    from server.core.person_names import find_names, mask

    return [_Span(n.start, n.end, mask(n.name)) for n in find_names(text)]


def _han_phone_spans(text: str) -> list[_Span]:
    spans = []
    for m in _HAN_PHONE_RE.finditer(text):
        digits = "".join(_HAN_DIGITS[c] for c in m.group() if c in _HAN_DIGITS)
        if _MOBILE_RE.fullmatch(digits):
            spans.append(_Span(m.start(), m.end(), PHONE_TOKEN))
    return spans


def _plate_spans(text: str) -> list[_Span]:
    return [_Span(m.start(), m.end(), PLATE_TOKEN) for m in _PLATE_RE.finditer(text)
            if sum(ch.isdigit() for ch in m.group()) >= 2]


def _order_spans(text: str) -> list[_Span]:
    return [_Span(m.start("no"), m.end("no"), ORDER_TOKEN) for m in _ORDER_RE.finditer(text)
            if sum(ch.isdigit() for ch in m.group("no")) >= 4]


def _birth_date_spans(text: str, today: _dt.date | None = None) -> list[_Span]:
    today = today or _dt.date.today()
    spans = []
    for m in _DATE_RE.finditer(text):
        try:
            day = _dt.date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
        except ValueError:
            continue
        labelled = _BIRTH_LABEL_RE.search(text[max(0, m.start() - 10):m.start()]) is not None
        if day <= today and (labelled or day.year <= today.year - BIRTH_DATE_YEARS):
            spans.append(_Span(m.start(), m.end(), BIRTH_TOKEN))
    return spans


def redact(text: str, names: Iterable[str] = ()) -> str:
    """Public complaint text with personal data replaced by tokens such as ``[电话已隐藏]``.

    Removed: the given names (full name -> surname + ``**``, the way published cases read
    "张**"; the given name alone -> ``**``; "张先生/张女士" stays, being the customary
    anonymised form) and names after labels such as 收货人：; mobile numbers (also spaced,
    dashed, +86) and landlines with an area code; identity numbers that pass the GB 11643 check
    digit; e-mail addresses; bank card numbers (16–19 digits, Luhn, card issuer prefix; a
    Luhn-valid number labelled as an order or waybill number stays); WeChat/QQ ids after an
    explicit label; street addresses from the road or housing estate on (the province, city
    and district in front stay so the case keeps its place).

    Since the second release also, without being told them: the names of any person (see
    server.core.person_names; "王经理", "小李" stay), vehicle plates (8-character new-energy
    plates too), QQ/WeChat ids (``wxid_…`` without a label), order and waybill numbers after their
    label, mobile numbers with any separator (``138.1234.5678``) or in Chinese numerals
    (一三八一二三四五六七八), identity numbers whose check digit is wrong (unless labelled as
    another kind of number) and birth dates (labelled, or a full date ``BIRTH_DATE_YEARS`` or more
    years back). Nothing here depends on the consumer's account still existing.
    """
    if not text:
        return text
    work = _narrow(text)
    spans: list[_Span] = []
    spans += [_Span(m.start(), m.end(), EMAIL_TOKEN) for m in _EMAIL_RE.finditer(work)]
    spans += [_Span(m.start("id"), m.end("id"), ACCOUNT_TOKEN) for m in _ACCOUNT_RE.finditer(work)]
    spans += [_Span(m.start(), m.end(), ACCOUNT_TOKEN) for m in _WXID_RE.finditer(work)]
    spans += _plate_spans(work)
    spans += _order_spans(work)
    spans += _han_phone_spans(work)
    spans += _birth_date_spans(work)
    spans += _person_name_spans(work)
    spans += [_Span(m.start(), m.end(), PHONE_TOKEN) for m in _LANDLINE_PAREN_RE.finditer(work)]
    spans += _digit_spans(work)
    spans += _name_spans(work, names)
    spans += _address_spans(work)
    # Longest first at each position, then left to right without overlaps.
    ordered = sorted(spans, key=lambda s: (-(s.end - s.start), s.start))
    chosen = sorted(_without_overlaps((s.start, s.end, s.token) for s in ordered))
    parts, pos = [], 0
    for start, end, token in chosen:
        parts += [text[pos:start], token]
        pos = end
    parts.append(text[pos:])
    return "".join(parts)
