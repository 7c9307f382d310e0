"""Suggest industry, category and business for a complaint text (the smart filing form).

Industry and category: a keyword lexicon plus a multinomial naive Bayes over character uni- and
bigrams, trained on `train_complaints.jsonl` (written for training; the evaluation set is
separate). Businesses: fuzzy Chinese name matching on names with legal-form and place words
stripped, so "京东" finds "北京京东世纪贸易有限公司".
"""
from __future__ import annotations

import bisect
import json
import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from .taxonomy import CATEGORIES, INDUSTRIES

TRAIN_FILE = Path(__file__).resolve().parent / "train_complaints.jsonl"

INDUSTRY_LEXICON: dict[str, list[str]] = {
    "food": ["食品", "牛奶", "奶粉", "零食", "饼干", "面包", "月饼", "饮料", "白酒", "茅台", "假酒", "茶叶", "大米",
             "食用油", "猪肉", "牛肉", "熟食", "卤肉", "蔬菜", "水果", "蜂蜜", "保健食品", "保健品", "保质期", "生产日期",
             "食物中毒", "酸奶", "火腿", "胀袋", "吃了", "喝了", "配料表"],
    "appliance": ["家电", "冰箱", "洗衣机", "空调", "电视", "热水器", "油烟机", "微波炉", "电饭煲", "扫地机", "净化器",
                  "电暖器", "电热水壶", "吸尘器", "燃气灶", "洗碗机", "烤箱", "电风扇", "电器", "电脑", "笔记本", "制冷"],
    "telecom_device": ["手机", "平板", "耳机", "智能手表", "充电宝", "充电器", "路由器", "翻新机", "主板", "屏幕碎"],
    "vehicle": ["汽车", "新车", "4S店", "发动机", "变速箱", "变速器", "刹车", "电动车", "电动自行车", "摩托车", "电瓶",
                "轮胎", "提车", "保养", "汽修", "车辆", "买车", "车行", "烧机油"],
    "clothing": ["衣服", "鞋", "裤子", "衬衫", "羽绒服", "外套", "大衣", "皮鞋", "运动鞋", "童装", "服装", "褪色", "开胶",
                 "开线", "面料", "名牌包", "鸭绒", "纯棉", "吊牌", "鞋底"],
    "online_shopping": ["网购", "网店", "淘宝", "某宝", "天猫", "京东", "拼多多", "直播间", "主播", "下单", "快递", "卖家",
                        "店铺", "电商", "无理由退货", "发货", "拼团", "商品页面", "签收", "网上买"],
    "education": ["培训", "辅导", "课程", "学费", "驾校", "早教", "网课", "报班", "补习", "考研", "英语班", "课时",
                  "舞蹈班", "编程班", "包过", "包就业", "上课"],
    "travel": ["旅游", "旅行社", "导游", "跟团", "景区", "景点", "行程", "机票", "团费", "漂流", "游客", "低价团", "纯玩"],
    "catering": ["饭店", "餐厅", "餐馆", "外卖", "酒店", "宾馆", "民宿", "火锅", "奶茶", "吃饭", "婚宴", "住宿", "前台",
                 "菜里", "锅底", "餐位费", "服务员", "订房", "入住"],
    "beauty": ["美容", "美发", "理发", "烫发", "染发", "美甲", "医美", "皮肤管理", "美容院", "美容师", "祛斑", "玻尿酸",
               "发型", "剪发", "头发"],
    "housing": ["房子", "开发商", "交房", "物业", "装修", "中介", "租房", "业主", "电梯", "小区", "房产", "墙面",
                "板材", "押金", "学区房", "渗水", "凶宅"],
    "finance": ["银行", "信用卡", "贷款", "网贷", "理财", "基金", "利息", "催收", "年费", "盗刷", "分期", "年化", "借贷"],
    "insurance": ["保险", "理赔", "保费", "拒赔", "退保", "车险", "重疾险", "意外险", "续保", "定损", "投保"],
    "telecom_service": ["话费", "运营商", "宽带", "流量", "套餐", "营业厅", "携号转网", "增值业务", "断网", "销户",
                        "移动公司", "联通", "电信", "漫游"],
    "internet_service": ["APP", "app", "软件", "自动续费", "游戏", "账号", "打车", "网盘", "直播平台", "短视频", "权限",
                         "视频会员", "充值", "封禁", "杀熟"],
    "medical": ["医院", "诊所", "医生", "手术", "药店", "药品", "种植牙", "口腔", "近视", "眼镜", "输液", "过期药", "假药",
                "牙", "体检"],
    "culture_sports": ["健身房", "健身", "瑜伽", "游泳馆", "泳池", "演唱会", "电影院", "话剧", "蹦床", "游乐场", "演出",
                       "票务", "私教", "球馆"],
    "other": ["搬家", "干洗", "洗衣店", "开锁", "家政", "保洁", "婚纱摄影", "停车场", "快递员", "跑腿"],
}

CATEGORY_LEXICON: dict[str, list[str]] = {
    "quality": ["质量", "坏了", "故障", "破损", "开胶", "褪色", "开裂", "不制冷", "噪音", "异响", "异味", "发霉", "变质",
                "没效果", "不能用", "漏水", "脱落", "修不好", "没修好", "缩水", "断网", "效果很差", "模糊", "烫焦"],
    "safety": ["安全", "起火", "爆炸", "自燃", "冒烟", "漏电", "受伤", "中毒", "过敏", "腹泻", "上吐下泻", "住院", "烧到",
               "划破", "玻璃", "蟑螂", "虫子", "摔伤", "发炎", "红肿", "坏死", "困人", "鼓包", "过期"],
    "price": ["价格", "收费", "多收", "加价", "涨价", "乱收费", "标价", "原价", "另收", "扣费", "手续费", "年费", "报价",
              "杀熟", "坐地起价", "额外收", "另外收", "贵", "费用", "扣了", "元", "块"],
    "contract": ["合同", "约定", "承诺", "退款", "退费", "定金", "违约", "取消", "关门", "跑路", "倒闭", "会员卡",
                 "预付", "自动续费", "拒赔", "不发货", "卡里", "强制购物", "协议", "不认账", "套餐", "未经我同意"],
    "after_sales": ["售后", "维修", "保修", "退换", "退货", "三包", "客服", "推脱", "不处理", "上门", "无理由", "报修",
                    "过保", "找快递"],
    "false_advertising": ["宣传", "广告", "虚假", "夸大", "名不副实", "描述不符", "实际上", "说是", "号称", "说成",
                          "包治百病", "承诺效果"],
    "measurement": ["缺斤短两", "缺斤少两", "少秤", "短斤", "称重", "分量", "没装满", "计量", "秤", "复称", "少了"],
    "counterfeit": ["假货", "假冒", "仿品", "高仿", "冒牌", "翻新", "防伪", "假的", "副厂", "假药", "假酒", "山寨", "查不到"],
    "dignity": ["羞辱", "侮辱", "辱骂", "搜包", "搜身", "歧视", "冷嘲热讽", "当众", "指责", "威胁", "态度恶劣"],
    "personal_info": ["个人信息", "泄露", "骚扰电话", "推销电话", "通讯录", "隐私", "身份信息", "位置权限", "获取"],
}

LEXICON_WEIGHT = 1.6
_CJK = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]+")


def _features(text: str) -> list[str]:
    feats: list[str] = []
    for run in _CJK.findall(text):
        feats.extend(run)
        feats.extend(run[i:i + 2] for i in range(len(run) - 1))
    return feats


class _NaiveBayes:
    """Multinomial naive Bayes with Laplace smoothing over character uni/bigrams."""

    def __init__(self, docs: list[tuple[str, str]], labels: list[str]):
        self.labels = labels
        self.counts: dict[str, Counter] = {lab: Counter() for lab in labels}
        self.docs = Counter()
        for text, lab in docs:
            self.counts[lab].update(_features(text))
            self.docs[lab] += 1
        self.vocab = set().union(*self.counts.values()) if self.counts else set()
        self.totals = {lab: sum(c.values()) for lab, c in self.counts.items()}
        n = sum(self.docs.values()) or 1
        self.log_prior = {lab: math.log((self.docs[lab] + 1) / (n + len(labels))) for lab in labels}

    def log_scores(self, text: str) -> dict[str, float]:
        feats = [f for f in _features(text) if f in self.vocab]
        v = len(self.vocab) + 1
        out = {}
        for lab in self.labels:
            c, total = self.counts[lab], self.totals[lab]
            out[lab] = self.log_prior[lab] + sum(math.log((c[f] + 1) / (total + v)) for f in feats)
        return out


def _lexicon_scores(text: str, lexicon: dict[str, list[str]]) -> dict[str, float]:
    scores: dict[str, float] = defaultdict(float)
    for label, words in lexicon.items():
        for w in words:
            if w in text:
                scores[label] += 1.0 + 0.25 * (len(w) - 2 if len(w) > 2 else 0)
    return scores


def _softmax(scores: dict[str, float]) -> dict[str, float]:
    m = max(scores.values())
    exp = {k: math.exp(v - m) for k, v in scores.items()}
    z = sum(exp.values())
    return {k: v / z for k, v in exp.items()}




@lru_cache(maxsize=1)
def _models() -> tuple[_NaiveBayes, _NaiveBayes]:
    rows = [json.loads(line) for line in TRAIN_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    industry = _NaiveBayes([(r["text"], r["industry"]) for r in rows], [c for c, _ in INDUSTRIES])
    category = _NaiveBayes([(r["text"], r["category"]) for r in rows], [c for c, _ in CATEGORIES])
    return industry, category


def _decide(text: str, nb: _NaiveBayes, lexicon: dict[str, list[str]], default: str) -> tuple[str, float]:
    nb_scores = nb.log_scores(text)
    # Scale NB log-likelihoods per feature so long texts do not drown out the lexicon.
    n = max(len(_features(text)), 1)
    lex = _lexicon_scores(text, lexicon)
    combined = {lab: nb_scores[lab] / math.sqrt(n) * 2 + LEXICON_WEIGHT * lex.get(lab, 0.0) for lab in nb.labels}
    probs = _softmax(combined)
    best = max(probs, key=probs.get)
    if not lex and probs[best] < 0.3:
        return default, probs.get(default, 0.0)
    return best, probs[best]


# Legal-form words, then generic trade words, stripped from names before fuzzy matching.
_LEGAL_FORMS = ["股份有限公司", "有限责任公司", "有限公司", "分公司", "子公司", "股份公司", "集团", "公司", "股份",
                "旗舰店", "专卖店", "专营店", "分店", "门店", "连锁店", "总店", "店", "工作室", "中心"]
_TRADE_WORDS = ["电子商务", "信息技术", "网络科技", "科技", "商贸", "贸易", "实业", "餐饮管理", "餐饮", "管理", "服务",
                "文化传媒", "传媒", "发展", "控股", "投资", "世纪", "网络", "技术", "信息", "计算机系统", "系统", "健身", "美容", "教育", "咨询"]
_PLACES = ["北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建", "江西",
           "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古",
           "广西", "西藏", "宁夏", "新疆", "香港", "澳门", "深圳", "广州", "杭州", "南京", "武汉", "成都", "西安", "苏州",
           "长沙", "郑州", "青岛", "厦门", "宁波", "合肥", "济南", "沈阳", "大连", "福州", "昆明", "南昌", "无锡", "东莞",
           "佛山", "石家庄", "哈尔滨", "长春", "太原", "南宁", "贵阳", "兰州", "乌鲁木齐", "呼和浩特", "海口", "银川", "西宁", "拉萨"]
_PLACE_RE = re.compile(r"^(?:" + "|".join(sorted(_PLACES, key=len, reverse=True)) + r")(?:省|市|自治区|特别行政区)?")
_TRAILING_PLACE_RE = re.compile(r"(?:" + "|".join(sorted(_PLACES, key=len, reverse=True)) + r")(?:省|市)?(?:分公司|分店|分部)?$")
_PAREN_RE = re.compile(r"[（(][^）)]*[）)]")


def core_name(name: str) -> str:
    """The distinctive part of a business name: 北京京东世纪贸易有限公司 -> 京东."""
    n = _PAREN_RE.sub("", name.strip())
    n = re.sub(r"(分公司|分店|分部)$", "", n)
    n = _TRAILING_PLACE_RE.sub("", n) or n
    for _ in range(2):  # e.g. 浙江省杭州市...
        n = _PLACE_RE.sub("", n)
    changed = True
    while changed:
        changed = False
        for w in _LEGAL_FORMS + _TRADE_WORDS:
            if n.endswith(w) and len(n) > len(w) + 1:
                n = n[: -len(w)]
                changed = True
    n = _PLACE_RE.sub("", n) or n
    return n or name


def _name_score(query: str, name: str, core: str) -> float:
    """0..100: how well the text refers to this business."""
    from rapidfuzz import fuzz

    if not core:
        return 0.0
    if name in query or (len(core) >= 2 and core in query):
        return 100.0
    if len(query) <= len(name) + 2 and query in name and len(query) >= 2:
        return 90.0 if name.find(query) <= 4 else 75.0
    best = 0.0
    # A leading part of the distinctive name mentioned in the text (a brand): "京东" in "京东世纪".
    for length in range(len(core) - 1, 1, -1):
        if core[:length] in query:
            best = 60.0 + 40.0 * length / len(core)
            break
    if len(query) <= 20:
        best = max(best, fuzz.ratio(query, core) * 0.95, fuzz.partial_ratio(query, name) * 0.7)
    if re.search(r"[A-Za-z]{3,}", query):
        from pypinyin import lazy_pinyin

        py = "".join(lazy_pinyin(core)).lower()
        for word in re.findall(r"[A-Za-z]{3,}", query):
            best = max(best, fuzz.ratio(word.lower(), py) * 0.9)
    return best


class NameIndex:
    """Business names with their cores computed once, indexed for the matching in `_name_score`:
    exact names and cores and the cores' leading parts by text, rapidfuzz over all cores at C speed,
    and the cores' pinyin (computed on the first Latin-letter query). Same scores as `_name_score`."""

    MAX_WINDOW = 40

    def __init__(self, items: Iterable[tuple[int, str]], core_cache: dict[str, str] | None = None):
        cache = core_cache if core_cache is not None else {}
        self.ids: list[int] = []
        self.names: list[str] = []
        self.cores: list[str] = []
        for bid, name in items:
            if not name:
                continue
            core = cache.get(name)
            if core is None:
                core = cache[name] = core_name(name)
            self.ids.append(bid)
            self.names.append(name)
            self.cores.append(core)
        self.by_name: dict[str, list[int]] = defaultdict(list)
        self.by_core: dict[str, list[int]] = defaultdict(list)
        self.by_prefix: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, (name, core) in enumerate(zip(self.names, self.cores, strict=True)):
            self.by_name[name].append(i)
            if len(core) >= 2:
                self.by_core[core].append(i)
            for length in range(2, len(core)):
                self.by_prefix[core[:length]].append((i, length))
        bigrams: dict[str, list[int]] = defaultdict(list)
        for i, name in enumerate(self.names):
            for b in {name[k:k + 2] for k in range(len(name) - 1)}:
                bigrams[b].append(i)
        common = max(50, len(self.names) // 20)  # pairs in 5% of names (有限, 公司, 电子...) say nothing
        self.by_bigram = {b: ids for b, ids in bigrams.items() if len(ids) <= common}
        core_bigrams: dict[str, list[int]] = defaultdict(list)
        for i, core in enumerate(self.cores):
            for b in {core[k:k + 2] for k in range(len(core) - 1)}:
                core_bigrams[b].append(i)
        self.core_bigrams = {b: ids for b, ids in core_bigrams.items() if len(ids) <= common}
        self.starts: list[int] = []
        offset = 0
        for name in self.names:
            self.starts.append(offset)
            offset += len(name) + 1
        self.joined = "\n".join(self.names)
        self.longest = min(max((len(n) for n in self.names), default=0), self.MAX_WINDOW)
        self._pinyin: list[str] | None = None

    def _windows(self, text: str):
        n = len(text)
        for i in range(n):
            for j in range(i + 2, min(n, i + self.longest) + 1):
                yield text[i:j]

    @staticmethod
    def _length_bounds(n: int, cutoff: float) -> tuple[float, float]:
        """Lengths m a string can have for ratio (2*matches/(n+m)*100) to reach cutoff."""
        r = cutoff / 100.0
        return n * r / (2 - r), n * (2 - r) / r

    def pinyin(self) -> list[str]:
        if self._pinyin is None:
            from pypinyin import lazy_pinyin

            py = ["".join(lazy_pinyin(c)).lower() for c in self.cores]
            self.py_order = sorted(range(len(py)), key=lambda i: len(py[i]))
            self.py_lengths = [len(py[i]) for i in self.py_order]
            self._pinyin = py
        return self._pinyin

    def match(self, query: str, limit: int = 5, threshold: float = 60.0) -> list[dict[str, Any]]:
        from rapidfuzz import fuzz, process

        fixed: dict[int, float] = {}  # exact (100) and query-in-name (90/75): final, as in _name_score
        named: set[int] = set()  # the full name appears in the text
        best: dict[int, float] = {}
        for w in set(self._windows(query)):
            for i in self.by_name.get(w, ()):
                fixed[i] = 100.0
                named.add(i)
            for i in self.by_core.get(w, ()):
                fixed[i] = 100.0
            for i, length in self.by_prefix.get(w, ()):
                s = 60.0 + 40.0 * length / len(self.cores[i])
                if s > best.get(i, 0.0):
                    best[i] = s
        if 2 <= len(query) <= self.longest + 2 and "\n" not in query:
            # every name containing the query, found with str.find over all names joined (C speed)
            pos = self.joined.find(query)
            while pos != -1:
                i = bisect.bisect_right(self.starts, pos) - 1
                name = self.names[i]
                if i not in fixed and len(query) <= len(name) + 2:
                    fixed[i] = 90.0 if pos - self.starts[i] <= 4 else 75.0
                pos = self.joined.find(query, self.starts[i] + len(name) + 1)
        if len(query) <= 20:
            # ratio(q, core) >= 63 bounds the core's length (0.46..2.17 x the query's) and, for a
            # query of two or more characters, needs a character pair in common in practice
            lo, hi = self._length_bounds(len(query), threshold / 0.95)
            if len(query) >= 2:
                pool = sorted({i for k in range(len(query) - 1) for i in self.core_bigrams.get(query[k:k + 2], ())
                               if lo <= len(self.cores[i]) <= hi})
            else:
                pool = [i for i in range(len(self.cores)) if lo <= len(self.cores[i]) <= hi]
            for _, score, j in process.extract(query, [self.cores[i] for i in pool], scorer=fuzz.ratio, limit=None,
                                               score_cutoff=threshold / 0.95):
                i = pool[j]
                best[i] = max(best.get(i, 0.0), score * 0.95)
            # partial_ratio >= 86 needs a run of matching characters, so only names sharing a
            # distinctive character pair with the query can reach the threshold
            cand: set[int] = set()
            for k in range(len(query) - 1):
                cand.update(self.by_bigram.get(query[k:k + 2], ()))
            pool = sorted(cand)
            for _, score, j in process.extract(query, [self.names[i] for i in pool], scorer=fuzz.partial_ratio,
                                               limit=None, score_cutoff=threshold / 0.7):
                i = pool[j]
                best[i] = max(best.get(i, 0.0), score * 0.7)
        words = re.findall(r"[A-Za-z]{3,}", query)
        if words:
            py = self.pinyin()
            for word in words:
                lo, hi = self._length_bounds(len(word), threshold / 0.9)
                a = bisect.bisect_left(self.py_lengths, lo)
                b = bisect.bisect_right(self.py_lengths, hi)
                pool = self.py_order[a:b]
                for _, score, j in process.extract(word.lower(), [py[i] for i in pool], scorer=fuzz.ratio,
                                                   limit=None, score_cutoff=threshold / 0.9):
                    i = pool[j]
                    best[i] = max(best.get(i, 0.0), score * 0.9)
        scores = dict(best)
        scores.update(fixed)
        scored = [(s, i) for i, s in scores.items() if s >= threshold and self.cores[i]]
        # A business named in full in the text first, then the most specific core, then the shortest name.
        scored.sort(key=lambda x: (-x[0], x[1] not in named, -len(self.cores[x[1]]) if x[0] >= 100 else 0,
                                   len(self.names[x[1]]), self.ids[x[1]]))
        return [{"id": self.ids[i], "name": self.names[i], "score": round(s / 100.0, 3)} for s, i in scored[:limit]]


_index_lock = threading.Lock()
_index_cache: dict[str, Any] = {"source": None, "index": None, "cores": {}}


def name_index(items: list[tuple[int, str]] | tuple[tuple[int, str], ...]) -> NameIndex:
    """The index for this list of names, rebuilt only when a different list object is passed
    (the API refreshes its list every minute); name cores are remembered across rebuilds."""
    with _index_lock:
        if _index_cache["source"] is not items:
            # a refreshed list with the same names (the usual case) keeps the index: one C-speed compare
            if _index_cache["source"] is None or _index_cache["source"] != items:
                _index_cache["index"] = NameIndex(items, _index_cache["cores"])
            _index_cache["source"] = items
        return _index_cache["index"]


def match_businesses(
    text: str, business_names: Callable[[], Iterable[tuple[int, str]]] | Iterable[tuple[int, str]] | None, limit: int = 5,
    threshold: float = 60.0,
) -> list[dict[str, Any]]:
    """Businesses the text names, best first: [{"id", "name", "score"}] with score in 0..1."""
    if business_names is None:
        return []
    items = business_names() if callable(business_names) else business_names
    if not isinstance(items, (list, tuple)):
        items = list(items)
    return name_index(items).match(text, limit, threshold)


def classify(
    text: str, business_names: Callable[[], Iterable[tuple[int, str]]] | list[tuple[int, str]] | None = None
) -> dict[str, Any]:
    """{"industry_code", "category", "confidence", "business_candidates": [{"id", "name", "score"}]}."""
    from ..errors import ValidationFailed

    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed([{"field": "text", "message": "请输入投诉内容"}])
    if len(text) > 5000:
        raise ValidationFailed([{"field": "text", "message": "投诉内容不能超过5000字"}])
    t = text.strip()
    ind_nb, cat_nb = _models()
    industry, p_ind = _decide(t, ind_nb, INDUSTRY_LEXICON, "other")
    category, p_cat = _decide(t, cat_nb, CATEGORY_LEXICON, "other")
    return {
        "industry_code": industry,
        "category": category,
        "confidence": round(min(p_ind, p_cat), 3),
        "business_candidates": match_businesses(t, business_names),
    }
