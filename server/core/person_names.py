"""Names of people in free Chinese text, for redaction: jieba's part-of-speech ``nr`` tags checked
against a list of Chinese surnames, plus names that follow a word for a person's role (店员, 客服, 司机…).

Why this way: it needs no model download (jieba ships its dictionary and HMM), it is deterministic,
and it runs in about a millisecond per sentence. Its recall and precision are measured on the
labelled sentences in tests/core/privacy/person_names.jsonl (``python -m tests.core.privacy.measure_names``;
figures in docs/security.md). What it deliberately keeps: the customary anonymised forms
``张先生``, ``王女士``, ``李经理``, ``小王``, ``老李`` (surname plus a title or a familiar prefix).
"""
from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass

_HAN = "\u3400-\u4dbf\u4e00-\u9fff"

# The common single-character surnames (百家姓 plus the frequent modern ones), and compound surnames.
SURNAMES = frozenset(
    "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜戚谢邹喻柏水窦章云苏潘葛奚范彭郎"
    "鲁韦昌马苗凤花方俞任袁柳酆鲍史唐费廉岑薛雷贺倪汤滕殷罗毕郝邬安常乐于时傅皮卞齐康伍余元卜顾孟平黄"
    "和穆萧尹姚邵湛汪祁毛禹狄米贝明臧计伏成戴谈宋茅庞熊纪舒屈项祝董梁杜阮蓝闵席季麻强贾路娄危江童颜郭"
    "梅盛林刁钟徐邱骆高夏蔡田樊胡凌霍虞万支柯昝管卢莫经房裘缪干解应宗丁宣贲邓郁单杭洪包诸左石崔吉钮龚"
    "程嵇邢滑裴陆荣翁荀羊於惠甄曲家封芮羿储靳汲邴糜松井段富巫乌焦巴弓牧隗山谷车侯宓蓬全郗班仰秋仲伊宫"
    "宁仇栾暴甘钭厉戎祖武符刘景詹束龙叶幸司韶郜黎蓟薄印宿白怀蒲邰从鄂索咸籍赖卓蔺屠蒙池乔阴胥能苍双闻"
    "莘党翟谭贡劳逄姬申扶堵冉宰郦雍却璩桑桂濮牛寿通边扈燕冀郏浦尚农温别庄晏柴瞿阎充慕连茹习宦艾鱼容向"
    "古易慎戈廖庾终暨居衡步都耿满弘匡国文寇广禄阙东欧殳沃利蔚越夔隆师巩厍聂晁勾敖融冷訾辛阚那简饶空曾"
    "毋沙乜养鞠须丰巢关蒯相查后荆红游竺权逯盖益桓公覃晋楚闫鄢"
)
COMPOUND_SURNAMES = frozenset(
    "欧阳 太史 端木 上官 司马 东方 独孤 南宫 万俟 闻人 夏侯 诸葛 尉迟 公羊 赫连 澹台 皇甫 宗政 濮阳 公冶 太叔 "
    "申屠 公孙 慕容 仲孙 钟离 长孙 宇文 司徒 鲜于 司空 闾丘 令狐 呼延 西门 拓跋 轩辕 百里 东郭 南门 第五".split()
)

# What follows a surname in the customary anonymised forms, or makes a word something else than a name.
_TITLES = (
    "先生 女士 小姐 太太 夫人 老师 师傅 经理 总 总监 主任 主管 医生 大夫 护士 律师 警官 同学 阿姨 叔叔 大爷 大妈 "
    "哥 姐 工 老板 店长 队长 科长 处长 局长 部长 书记 院长 校长 专员 客服 会计 助理 家 氏 某 某某 某人"
).split()
# Words jieba tags ``nr`` that are not names of people here (brands, products, common words).
_NOT_NAMES = frozenset(
    "顾问 华为 荣耀 老公 老婆 老板 高铁 金融 和平 文明 安全 方便 司机 万达 苏宁 国美 京东 格力 美的 海尔 小米 "
    "向阳 东方 江南 黄金 白金 钟表 石油 平安 招商 常规 包邮 于是 周末 周一 周二 周三 周四 周五 周六 周日 "
    "高清 高端 黄牛 马桶 温度 温馨 严重 严格 全额 全部 全程 全新 任何 任意 连续 连锁 余额 余下 林业 程序 "
    "宁愿 明明 明天 明确 明细 明年 云南 时间 时候 时段 曾经 管理 管家 房东 房屋 房价 车主 车辆 车险 关于 关键 "
    "成本 成功 成交 应该 应当 单位 单价 单号 包装 包括 水电 花呗 花费 花钱 钱包 钱款 雷达 史上 毛利 毛病 "
    "强制 强烈 武汉 宋体 白天 白色 黑色 蓝色 红色 金色 申请 申报 通知 通过 通讯 华夏 美团 饿了么 支付宝 "
    "微信 淘宝 天猫 拼多多 抖音 快手 顺丰 圆通 中通 申通 韵达 邮政 海信 方太 老板电器 九阳 苏泊尔 "
    "易购 易到 滴滴 丰巢 盒马 叮咚 永辉 华润 沃尔玛 家乐福 屈臣氏 国家 公司 公众 公斤 公里 公告 公开"
    .split()
)
# Words for a person's role after which the next two or three Han characters are a name.
_ROLE_RE = re.compile(
    r"(?:店员|客服|经理|司机|师傅|老板|销售|导购|快递员|配送员|骑手|外卖员|医生|护士|律师|老师|教练|业务员|主管|"
    r"员工|工人|工作人员|顾问|技师|前台|收银员|保安|维修工|维修员|安装工|安装师傅|店长|房东|中介|理发师|美容师|"
    r"我叫|名叫|叫做|姓名|收件人|收货人|联系人|持卡人|开户名|户名|本人|投诉人|消费者|当事人|负责人|签收人|"
    r"我老公|我老婆|我丈夫|我妻子|我爱人|我儿子|我女儿|我父亲|我母亲|我妈|我爸|朋友|同事|室友|邻居)"
    r"[：:是为\s]{0,2}$")
# Characters that end a name candidate taken after a role word (verbs, particles, punctuation).
_STOP_CHARS = set("说的了和与及在对把被让给向跟从都也又还就才不没很太态称讲答告表承拒要想会能可以是为将已曾等"
                  "收推多帮卖买做拿送问找打骂"
                  "，。；、：:,.;!！?？（）() \n\t“”\"'")
_NAME_TAGS = ("nr", "nrfg", "nrt")
# Surnames that are also common function words ("和小李说": and Xiao Li said).
_FUNCTION_SURNAMES = frozenset("和与跟向于从都能时那后将把给让对同")
_ROLE_WORD_RE = re.compile(_ROLE_RE.pattern.split("[")[0])


@dataclass(frozen=True)
class NameSpan:
    start: int
    end: int
    name: str

    @property
    def surname(self) -> str:
        return surname_of(self.name)


def surname_of(name: str) -> str:
    return name[:2] if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES else name[:1]


_lock = threading.Lock()
_posseg = None


def _tokenizer():
    global _posseg
    if _posseg is None:
        with _lock:
            if _posseg is None:
                import jieba
                import jieba.posseg

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _posseg = jieba.posseg
    return _posseg


def _looks_like_name(word: str) -> bool:
    if not re.fullmatch(f"[{_HAN}]{{2,5}}", word) or word in _NOT_NAMES or _ROLE_WORD_RE.match(word):
        return False
    sur = surname_of(word)
    if sur not in SURNAMES and sur not in COMPOUND_SURNAMES:
        return False
    given = word[len(sur):]
    if not 1 <= len(given) <= 2:
        return False
    if any(given == t or given.startswith(t) for t in _TITLES):
        return False
    # "小王", "老李", "阿强": familiar forms, kept as anonymised enough; "和小李": a conjunction before one
    return word[0] not in "小老阿" and not (word[0] in _FUNCTION_SURNAMES and word[1] in "小老阿")


def _role_names(text: str) -> list[NameSpan]:
    """A surname plus one or two characters right after a role word (店员王秀英, 收货人：黄晓明)."""
    out = []
    for m in re.finditer(f"[{_HAN}]", text):
        i = m.start()
        if not _ROLE_RE.search(text[max(0, i - 8):i]) or _ROLE_WORD_RE.match(text, i) \
                or any(text.startswith(w, i) for w in _NOT_NAMES):
            continue
        for sur_len in (2, 1):
            sur = text[i:i + sur_len]
            if (sur_len == 2 and sur in COMPOUND_SURNAMES) or (sur_len == 1 and sur in SURNAMES):
                j = i + sur_len
                given = ""
                while j < len(text) and len(given) < 2 and re.match(f"[{_HAN}]", text[j]) and text[j] not in _STOP_CHARS:
                    given += text[j]
                    j += 1
                word = sur + given
                if given and _looks_like_name(word):
                    out.append(NameSpan(i, i + len(word), word))
                break
    return out


def find_names(text: str) -> list[NameSpan]:
    """Spans of people's names in ``text``, left to right, without overlaps."""
    if not text or not re.search(f"[{_HAN}]", text):
        return []
    tokens = []
    pos = 0
    for w in _tokenizer().cut(text):
        tokens.append((pos, w.word, w.flag))
        pos += len(w.word)
    found: list[NameSpan] = []
    i = 0
    while i < len(tokens):
        start, word, flag = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        # jieba often splits a name into surname + given name: 王/nr 秀英/nr, 欧阳/ns 娜娜/nrt
        if nxt and (word in SURNAMES or word in COMPOUND_SURNAMES) and nxt[2] in _NAME_TAGS \
                and flag in ("nr", "ns", "q", "n", "nrt") and 1 <= len(nxt[1]) <= 2 \
                and _looks_like_name(word + nxt[1]):
            found.append(NameSpan(start, start + len(word) + len(nxt[1]), word + nxt[1]))
            i += 2
            continue
        if flag in _NAME_TAGS and _looks_like_name(word):
            found.append(NameSpan(start, start + len(word), word))
        i += 1
    found += _role_names(text)
    found.sort(key=lambda s: (s.start, -(s.end - s.start)))
    out: list[NameSpan] = []
    for span in found:
        if out and span.start < out[-1].end:
            continue
        out.append(span)
    return out


def mask(name: str) -> str:
    """``王秀英`` -> ``王**``, the way published cases read."""
    return surname_of(name) + "**"
