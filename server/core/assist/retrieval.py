"""Chinese retrieval over law articles: jieba tokens, BM25, consumer-vocabulary query expansion.

The index is built lazily once per process (about a second, mostly jieba's dictionary load) and
cached; a search then costs well under a millisecond per query term.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import logging
import math
import os
import re
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from .knowledge import Article, cn_to_int, load_articles

# Words jieba's default dictionary splits badly; added to a private tokenizer instance so the
# global jieba used by other modules is untouched.
LEGAL_WORDS = [
    "无理由退货", "七日", "七天", "三包", "包修期", "三包有效期", "三包凭证", "惩罚性赔偿", "增加赔偿",
    "预付款", "预收款", "预付卡", "预付式", "格式条款", "最终解释权", "个人信息", "敏感个人信息",
    "明码标价", "虚假宣传", "引人误解", "以假充真", "以次充好", "掺杂", "掺假", "缺陷", "召回",
    "人格尊严", "人身自由", "精神损害", "消费者协会", "网络交易平台", "电子商务平台", "平台内经营者",
    "快递物流", "押金", "搭售", "自营", "信用评价", "自动化决策", "人脸识别", "商业性信息",
    "发票", "购货凭证", "展销会", "柜台", "营业执照", "价格手段", "使用补偿费", "备用车",
    "网络直播", "网络游戏", "未成年人", "格式条款", "霸王条款", "单方", "解释权", "记名", "不记名",
    "挂失", "补办", "利息", "本金", "投诉", "举报", "受理", "调解", "鉴定", "检测", "诉讼时效",
    "修理", "更换", "退货", "赔偿", "欺诈", "假货", "失效", "变质", "过期", "停业", "迁移",
    "电子支付", "未经授权", "交易记录", "原始合同", "差评", "刷单", "大数据杀熟", "杀熟",
]

STOPWORDS = set(
    "的 了 是 我 你 他 她 它 们 吗 呢 吧 啊 呀 么 吗 和 与 或 及 在 对 就 都 也 还 又 把 被 给 让 "
    "这 那 这个 那个 这样 那样 怎么 怎么办 怎样 如何 什么 为什么 哪 哪些 哪个 多少 能 能不能 可以 "
    "可不可以 是不是 有没有 要 要不要 会 应该 应当 一个 一 个 有 没有 没 不 很 太 说 想 已经 才 "
    "刚 后 前 时 时候 之 其 以 于 为 从 自 按照 依照 规定 下列 本法 本条例 本办法 本规定 本解释 "
    "情形 之一 或者 以及 等 中 上 下 者 所 而 且 但 但是 如果 因为 所以 并 并且 结果 现在 突然 "
    "真的 听说 请问 问 一下 下 里 呢 啦 嘛 哦 吧 呗 这种 那种 他们 我们 你们 自己 别人 人 东西".split()
)
_PUNCT_RE = re.compile(r"^[\W_]+$", re.UNICODE)
_ARTICLE_REF_RE = re.compile(r"第([零〇一二两三四五六七八九十百千\d]+)条")

# Consumer vocabulary -> the words the law uses. Written from how complaints are phrased on
# 12315-style platforms, not from the evaluation questions.
EXPANSIONS: list[tuple[str, str]] = [
    (r"七天无理由|7天无理由|无理由退|不想要了|不喜欢|后悔", "无理由退货 七日 退货 网络 邮购 电视 电话"),
    (r"退一赔三|赔三倍|三倍赔偿|假一赔三|最少.{0,4}500|五百元", "欺诈 增加赔偿 三倍 五百元"),
    (r"假一赔十|十倍", "欺诈 增加赔偿 以假充真 法律另有规定"),
    (r"假货|假冒|仿冒|高仿|冒牌|山寨", "以假充真 欺诈 伪造 冒用"),
    (r"被骗|骗我|骗了|忽悠|坑人", "欺诈 虚假 引人误解"),
    (r"三包|保修|包修|质保", "修理 更换 退货 有效期"),
    (r"预付卡|储值卡|会员卡|充值卡|年卡|月卡|次卡|办卡|办了.{0,4}卡|购物卡", "预付款 预付式 预付卡 预收款"),
    (r"跑路|倒闭|关门|人去楼空|失联", "终止营业 停业 预付款 退还 逃避"),
    (r"退款|退钱|退费|钱.{0,3}回来|退不回", "退还 返还 退回 价款"),
    (r"快递|物流|运输|丢件|摔坏|压坏", "快递物流 交付 运输 风险"),
    (r"不发货|迟迟.{0,3}发货|延迟发货", "交付 时限 约定"),
    (r"搜身|搜包|翻包|搜查|扣留|不让走", "搜查 身体 携带 物品 人身自由"),
    (r"辱骂|骂人|侮辱|歧视|羞辱|诽谤", "侮辱 诽谤 人格尊严"),
    (r"推销电话|骚扰电话|垃圾短信|营销短信|广告短信|推销", "商业性信息 商业性电话 同意"),
    (r"泄露|信息被卖|隐私|通讯录|刷脸|人脸", "个人信息 收集 使用 同意"),
    (r"刷脸|人脸", "人脸识别 生物识别 图像采集 敏感个人信息 单独同意"),
    (r"注销|删除.{0,4}信息", "删除 个人信息 注销"),
    (r"杀熟|新用户.{0,6}老用户|老用户|老会员|价格.{0,4}不一样", "自动化决策 差别待遇 交易价格 个人特征"),
    (r"霸王条款|最终解释权|解释权|概不退|不退不换|谢绝|店堂告示|自带酒水|开瓶费", "格式条款 不公平 不合理 通知 声明 店堂告示"),
    (r"虚假宣传|夸大|宣传.{0,6}(没有|不符|不一样)|实物不符|货不对板|名不副实", "虚假 引人误解 宣传"),
    (r"标价|价签|没有价格|不标价", "明码标价 价格"),
    (r"先涨价|原价|打折|折扣|降价|优惠.{0,4}(假|虚)|价格欺诈", "虚假 价格手段 诱骗"),
    (r"多收|乱收费|收费|加价", "价格 多付 退还"),
    (r"差评|删评|评价", "信用评价 删除 评价"),
    (r"默认勾选|勾选|捆绑|搭售", "搭售 默认同意"),
    (r"发票|收据", "发票 购货凭证 服务单据"),
    (r"押金", "押金 退还"),
    (r"直播|主播|带货", "网络直播 直播营销"),
    (r"游戏|充值", "网络游戏 未成年人 消费管理"),
    (r"保健品|老人|老年人|养生", "老年人 保健 功效 诱导"),
    (r"召回", "缺陷 召回"),
    (r"受伤|伤到|烫伤|电伤|弄伤|炸伤|住院|医药费|误工", "人身 损害 赔偿 医疗费 缺陷"),
    (r"过期|变质|发霉|临期", "失效 变质 销售"),
    (r"掺|以次充好|注水|兑水|勾兑", "掺杂 掺假 以次充好"),
    (r"没有中文|中文标识|三无|没有厂名|没有生产日期", "标识 中文 产品名称 厂名 厂址 合格证明"),
    (r"投诉|12315|举报|市场监管|工商局", "投诉 市场监督管理部门 受理"),
    (r"鉴定|检测|检验", "鉴定 检测 检验"),
    (r"平台|淘宝|天猫|京东|拼多多|美团|抖音|外卖", "电子商务平台 网络交易平台 平台内经营者"),
    (r"自营", "自营业务"),
    (r"维修|修理|返修|送修", "修理"),
    (r"换车|退车|新车|4S店|汽车|轿车", "家用汽车 三包 更换 退货"),
    (r"代步车|备用车|修车.{0,6}天", "备用车 交通费用 修理时间"),
    (r"盗刷|被盗|未授权|支付", "电子支付 未经授权 支付"),
    (r"取消订单|砍单|库存不足", "合同成立 订单 格式条款"),
    (r"签收", "签收 交付时间"),
    (r"强制购物|强制消费|强买强卖|逼.{0,4}买|不买.{0,6}不让", "强制 自主选择 强制交易"),
    (r"定制|定做|订做", "定作"),
    (r"运费", "运费 退回"),
    (r"营业执照|挂靠|借用.{0,4}执照", "营业执照 使用他人"),
    (r"涨价|提价", "提高 价格 单方"),
    (r"搬家|搬走|搬到|换地方|迁址", "迁移 变更经营场所"),
    (r"合并|分立|改名", "分立 合并 承受"),
    (r"精神损失|精神损害", "精神损害 赔偿"),
    (r"时效|多久.{0,6}(起诉|诉讼)", "诉讼时效 请求权"),
    (r"消协|消费者协会", "消费者协会 职责"),
    (r"途径|怎么解决|如何维权|维权", "协商 和解 调解 投诉 仲裁 诉讼"),
]
EXPANSIONS += [
    (r"缺斤短两|短斤少两|少称|缺斤|短斤|分量不足|秤", "计量 补足商品数量 公平交易"),
    (r"必须.{0,6}才(能|给|可以)|不办.{0,6}不|强制", "强制 自主选择 强制交易"),
    (r"退卡|退会员|退课", "解除 预付款 返还 剩余"),
    (r"赠品|送的|赠送|白送", "赠送 折价补偿"),
    (r"刹车", "制动 安全"),
    (r"坏了|故障|毛病|不能用|质量问题|质量差", "质量问题 不符合质量要求 修理 更换 退货"),
    (r"是指什么|什么是|什么叫|定义|属于什么", "是指 含义 包括"),
    (r"篡改|改了|伪造", "篡改 伪造"),
    (r"(办|卡|充值|会员).{0,12}(后悔|七天|7天|不想)|(后悔|七天|7天).{0,12}(办|卡)", "七日内 返还 预付款 本金"),
    (r"材料|准备什么|需要提供", "提供 材料 名称 请求 事实"),
    (r"拖|推脱|推诿|踢皮球|不理", "故意拖延 无理拒绝"),
    (r"(泄露|个人信息).{0,20}赔|赔.{0,20}(泄露|个人信息)", "个人信息权益 损害赔偿 侵权责任 过错"),
    (r"消协|消费者协会", "公益性职责"),
    (r"(维修|修理|师傅).{0,20}(零件|配件|旧件|换)", "偷换 零部件 谎报 用工用料"),
    (r"从哪天算|起算|什么时候开始算|怎么算.{0,4}期", "有效期限 计算 交付 起算"),
    (r"吃坏|中毒|拉肚子|食品安全|不卫生", "人身 健康 安全 损害 生命健康"),
]
_EXPANSIONS = [(re.compile(p), terms.split()) for p, terms in EXPANSIONS]

# Everyday words for the parties, mapped to the words the law uses for them.
TOKEN_SYNONYMS = {
    "商家": "经营者", "卖家": "销售者 经营者", "店家": "经营者", "商户": "经营者", "店铺": "经营者",
    "网店": "经营者 电子商务", "老板": "经营者", "厂家": "生产者", "厂商": "生产者", "品牌方": "生产者",
    "买家": "消费者", "顾客": "消费者", "客户": "消费者", "买": "购买", "买到": "购买", "下单": "购买 订单",
    "赔": "赔偿", "赔钱": "赔偿", "网购": "网络 购买 电子商务", "网上": "网络", "线上": "网络",
}
EXPANSION_WEIGHT = 0.6
SYNONYM_WEIGHT = 0.8

# A mild prior: the consumer-rights law and its implementing regulation answer most questions.
LAW_PRIOR = {"消费者权益保护法": 1.12, "消费者权益保护法实施条例": 1.06}
LAW_ALIASES = {
    "消费者权益保护法": ["消费者权益保护法", "消保法", "消法"],
    "消费者权益保护法实施条例": ["实施条例", "消保条例"],
    "电子商务法": ["电子商务法", "电商法"],
    "产品质量法": ["产品质量法"],
    "价格法": ["价格法"],
    "个人信息保护法": ["个人信息保护法", "个保法"],
    "家用汽车产品修理更换退货责任规定": ["汽车三包规定", "三包规定", "汽车三包"],
    "市场监督管理投诉举报处理暂行办法": ["投诉举报处理暂行办法", "投诉举报处理办法"],
    "侵害消费者权益行为处罚办法": ["侵害消费者权益行为处罚办法", "处罚办法"],
    "最高人民法院关于审理预付式消费民事纠纷案件适用法律若干问题的解释": ["预付式消费", "司法解释"],
}

_CAR_PATTERN = (r"汽车|轿车|新车|车辆|4S|４S|皮卡|SUV|发动机|变速器|变速箱|刹车|方向盘|车身|里程|开了.{0,6}公里|提车|购车|买车|换车|退车|新能源车|(?<!电动)(?<!自行)(?<!电瓶)(?<!平衡)车")

# --- Law hierarchy and specificity -------------------------------------------------------
# A special law answers before the general one, but only when the question is in its domain:
# each domain law is gated by words that show the question is about its subject. Out of domain
# it is damped (x OUT_OF_DOMAIN), in domain it is preferred (x IN_DOMAIN).
_FOOD = (r"食品|食物|吃|喝|奶|饮料|零食|饼干|面包|月饼|蛋糕|糕点|肉|菜|米|面条|凉皮|烤肠|香肠|薯片|果冻|鸭蛋|鸡蛋|"
         r"外卖|餐|饭|粉|面|汤|火锅|烧烤|奶茶|咖啡|水果|海鲜|包子|饺子|罐头|调料|食用油|酒水|白酒|啤酒|茶叶|保健品|保健食品|营养品|过期|保质期|变质|发霉|霉|异物|虫子|头发|添加剂|标签|"
         r"苍蝇|蟑螂|假药|劣药|药店|药品|药")
DOMAINS: dict[str, str] = {
    "食品安全法": _FOOD,
    "食品安全法实施条例": _FOOD,
    "最高人民法院关于审理食品药品惩罚性赔偿纠纷案件适用法律若干问题的解释": _FOOD,
    "最高人民法院关于审理食品药品纠纷案件适用法律若干问题的规定": _FOOD,
    "最高人民法院关于审理预付式消费民事纠纷案件适用法律若干问题的解释":
        r"卡|会员|充值|预付|储值|办了|次数|课时|课程|健身|瑜伽|游泳|美容|美发|理发|培训|洗车|余额|加盟店|跑路|倒闭|关门",
    "旅游法": r"旅游|旅行|导游|领队|跟团|报团|团费|景点|景区|行程|地接|组团|出游|游客|自由行",
    "快递暂行条例": r"快递|包裹|快件|驿站|快递柜|寄件|寄的|寄快递|丢件|保价|收件",
    "电信条例": r"电信|移动|联通|运营商|宽带|手机号|手机卡|话费|流量|套餐|信号|增值业务|通话|电话费|网速",
    "未成年人保护法": r"孩子|未成年|小孩|儿子|女儿|学生|未满|少年|儿童|娃",
    "老年人权益保障法": r"老人|老年|父亲|母亲|爸|妈|爷爷|奶奶|外公|外婆|长辈|养老",
    "广告法": r"广告|弹窗|代言|宣传单|推广|海报|最低价|国家级|最高级|第一",
    "计量法": r"秤|缺斤|少两|短斤|称|计量|分量|克数|斤",
    "家用汽车产品修理更换退货责任规定": _CAR_PATTERN,
    "电子商务法": r"网|平台|APP|app|App|直播|电商|快递|店铺|外卖|下单|订单|卖家|淘宝|天猫|京东|拼多多|抖音|美团|小程序",
    "个人信息保护法": r"信息|隐私|泄露|刷脸|人脸|数据|通讯录|身份证|授权|手机号|推送|自动化|杀熟|画像|个性化|注销|密码|账号",
}
IN_DOMAIN = 1.25
OUT_OF_DOMAIN = 0.3
# General laws: the Civil Code books and the competition law rarely answer a consumer first.
GENERAL_PRIOR = {"民法典合同编": 0.8, "民法典侵权责任编": 0.85, "反不正当竞争法": 0.7,
                 "最高人民法院关于审理买卖合同纠纷案件适用法律问题的解释": 0.75, "电信条例": 1.0}
# Special tort regimes answer only questions about their subject.
CHAPTER_GATES = {
    "机动车交通事故责任": r"交通事故|撞|车祸|驾驶",
    "医疗损害责任": r"医院|医生|医疗|手术|诊所|医美|整形",
    "环境污染和生态破坏责任": r"污染|排放|噪音",
    "高度危险责任": r"高压|核|易燃|易爆|爆炸物|民用航空器",
    "饲养动物损害责任": r"狗|猫|宠物|动物|咬",
    "建筑物和物件损害责任": r"掉下|坠落|高空|倒塌|广告牌|招牌",
    # the Civil Code's typed contracts, each only for its own kind of contract
    "供用电、水、气、热力合同": r"供电|停电|电费|供水|停水|水费|燃气|煤气|暖气|供暖",
    "赠与合同": r"赠与|赠送|送给",
    "借款合同": r"借款|借钱|贷款|网贷|分期|利息|利率",
    "保证合同": r"担保|保证人",
    "租赁合同": r"租|房东|出租|押金",
    "融资租赁合同": r"融资租赁",
    "保理合同": r"保理",
    "建设工程合同": r"建设工程|工程款|施工方|承包",
    "运输合同": r"运输|客运|乘车|乘客|火车|高铁|飞机|航班|机票|车票|打车|网约车|出租车|托运|物流|快递|行李",
    "技术合同": r"技术开发|技术转让|专利|技术服务",
    "保管合同": r"保管|寄存|存放|存包",
    "仓储合同": r"仓储|仓库",
    "委托合同": r"委托|代办|代购",
    "物业服务合同": r"物业",
    "行纪合同": r"寄卖|行纪",
    "中介合同": r"中介",
    "合伙合同": r"合伙",
}
# Administrative penalty articles (fines, orders to correct) answer a consumer only when asked.
_PENALTY_RE = re.compile(r"罚款|责令改正|吊销|没收违法所得|处分|警告")
_PENALTY_Q_RE = re.compile(r"罚|处罚|查处|吊销|举报|监管部门怎么")

# --- Query understanding: consumer phrases naming the governing articles -----------------
# Each rule: a pattern on the question (all groups must match, in any order) and the articles
# that govern that situation, with a bonus relative to the best score. Written from the statute
# (what article decides this situation), not from individual evaluation questions.
INTENTS: list[tuple[list[str], list[tuple[str, int]], float]] = [
    # food: compensation is the Food Safety Law's ten-fold damages (special before Art. 55)
    ([_FOOD, r"赔|十倍|假一赔十|一千|1000|索赔|要钱|补偿|怎么办|退钱|退款"], [("食品安全法", 148)], 1.1),
    ([_FOOD, r"过期|变质|发霉|霉|发臭|异物|虫|苍蝇|蟑螂|玻璃|塑料|钢丝|毛发|头发|不干净|不合格|有问题|吃坏|拉肚子|住院|中毒|生病"], [("食品安全法", 148)], 0.8),
    ([_FOOD, r"明知|知道.{0,8}(过期|问题|不合格)|故意买|职业打假|打假"], [("最高人民法院关于审理食品药品惩罚性赔偿纠纷案件适用法律若干问题的解释", 1),
      ("最高人民法院关于审理食品药品惩罚性赔偿纠纷案件适用法律若干问题的解释", 12), ("最高人民法院关于审理食品药品纠纷案件适用法律若干问题的规定", 3)], 0.8),
    ([_FOOD, r"小摊|摊贩|小作坊|路边摊|街边"], [("最高人民法院关于审理食品药品惩罚性赔偿纠纷案件适用法律若干问题的解释", 4)], 1.2),
    ([_FOOD, r"代购"], [("最高人民法院关于审理食品药品惩罚性赔偿纠纷案件适用法律若干问题的解释", 3)], 1.2),
    ([r"假药|劣药"], [("最高人民法院关于审理食品药品惩罚性赔偿纠纷案件适用法律若干问题的解释", 10)], 1.0),
    ([_FOOD, r"中文标签|没有中文|全是外文|外文"], [("食品安全法", 97)], 1.2),
    ([_FOOD, r"多次|好几次|很多次|反复|分别"], [("最高人民法院关于审理食品药品惩罚性赔偿纠纷案件适用法律若干问题的解释", 13)], 1.0),
    ([_FOOD, r"赠品|送的|赠送"], [("最高人民法院关于审理食品药品纠纷案件适用法律若干问题的规定", 4)], 1.0),
    ([_FOOD, r"检验合格|合格证明|检测.{0,4}合格"], [("最高人民法院关于审理食品药品纠纷案件适用法律若干问题的规定", 7)], 1.0),
    ([_FOOD, r"平台|外卖"], [("最高人民法院关于审理食品药品纠纷案件适用法律若干问题的规定", 9)], 0.3),
    ([r"保健品|保健食品|养生", r"讲座|会议|健康咨询|老人|老年|爸|妈"], [("食品安全法实施条例", 73)], 0.9),
    ([r"保健品|保健食品", r"治病|治疗|功效|疗效"], [("广告法", 18)], 0.8),
    # prepaid cards (SPC 2025 interpretation before the general law)
    ([r"跑路|倒闭|关门|人去楼空|失联|停业|不干了|卷款"], [("最高人民法院关于审理预付式消费民事纠纷案件适用法律若干问题的解释", 23), ("消费者权益保护法", 53)], 0.7),
    ([r"卡|会员|预付|充值", r"搬|迁|换地方|太远|不方便|转给|转让给.{0,4}(别|另)|另一家"], [("最高人民法院关于审理预付式消费民事纠纷案件适用法律若干问题的解释", 13)], 0.9),
    ([r"卡|会员|预付|充值", r"[三两一四五六七]天|几天|七日|7天|七天|刚办|后悔|不想要"], [("最高人民法院关于审理预付式消费民事纠纷案件适用法律若干问题的解释", 14)], 0.9),
    ([r"卡|会员|预付|充值", r"涨价|补差价|加价|降低|改成|缩水|只能去"], [("最高人民法院关于审理预付式消费民事纠纷案件适用法律若干问题的解释", 12)], 0.9),
    ([r"卡|会员|预付|充值", r"挂失|补办|丢了|激活|换卡"], [("最高人民法院关于审理预付式消费民事纠纷案件适用法律若干问题的解释", 24)], 1.0),
    ([r"卡|会员|预付|充值", r"不能退|不退|概不|只能转让|只能消费"], [("最高人民法院关于审理预付式消费民事纠纷案件适用法律若干问题的解释", 9)], 0.8),
    ([r"卡|会员|预付|充值|剩.{0,3}次|次数", r"记录|剩多少|余额.{0,4}(不给|不让)|不给.{0,4}看"], [("最高人民法院关于审理预付式消费民事纠纷案件适用法律若干问题的解释", 25)], 0.9),
    ([r"卡|会员|预付|充值", r"加盟|特许|总部|总店"], [("最高人民法院关于审理预付式消费民事纠纷案件适用法律若干问题的解释", 5)], 1.0),
    ([r"卡|会员|预付|充值", r"营业执照|挂靠|借用"], [("最高人民法院关于审理预付式消费民事纠纷案件适用法律若干问题的解释", 4)], 1.0),
    ([r"卡|会员|预付|充值|跑路", r"商场|场地|出租"], [("最高人民法院关于审理预付式消费民事纠纷案件适用法律若干问题的解释", 6)], 0.6),
    ([r"卡|会员|预付|充值", r"孩子|小孩|未成年|学生"], [("最高人民法院关于审理预付式消费民事纠纷案件适用法律若干问题的解释", 10)], 0.8),
    ([r"卡|会员|预付|充值", r"打折|折扣|原价|赠送"], [("最高人民法院关于审理预付式消费民事纠纷案件适用法律若干问题的解释", 18)], 0.6),
    # fraud: three-fold damages
    ([r"退一赔三|赔三倍|三倍|假一赔三|假货|假冒|是假的|假的|高仿|冒牌|翻新|以次充好|当.{0,3}新.{0,3}卖|骗|欺诈|隐瞒|调过?.{0,3}里程|最少.{0,6}(赔|500|五百)"],
     [("消费者权益保护法", 55)], 0.75),
    ([r"明知.{0,10}(缺陷|问题|毛病)|两倍|二倍", r"伤|住院|死亡|烧|损害"], [("消费者权益保护法", 55), ("民法典侵权责任编", 1207)], 0.8),
    # standard terms
    ([r"霸王条款|最终解释权|解释权|概不退|不退不换|概不负责|售出概不|谢绝|自带酒水|开瓶费|定金概不|格式合同|格式条款"],
     [("消费者权益保护法", 26)], 0.8),
    # returns, quality, refund
    ([r"仅退款|只退款|只要退款"], [("消费者权益保护法", 24)], 1.0),
    ([r"运费|邮费", r"质量|坏|破损|问题"], [("消费者权益保护法", 24)], 0.8),
    ([r"不发货|一直不发|迟迟.{0,3}发|没发货"], [("消费者权益保护法", 53)], 0.5),
    # prices
    ([r"杀熟|老用户|老会员|新用户|比.{0,6}(朋友|别人|新用户|同事|家人|老婆|老公).{0,4}(贵|高)|同一.{0,8}(比|更)贵|价格.{0,4}不一样"], [("消费者权益保护法实施条例", 9), ("个人信息保护法", 24)], 0.8),
    ([r"先涨价|涨价.{0,6}打折|原价.{0,8}(没|从来|根本)|虚假.{0,2}(原价|折扣)|被比较价格"], [("明码标价和禁止价格欺诈规定", 17), ("明码标价和禁止价格欺诈规定", 19)], 0.7),
    ([r"政府.{0,2}(指导价|定价)|标价.{0,8}(不一样|不一致|多收)|价签|收银.{0,8}(多|不一样)|结算.{0,6}(变|高|不一样|没有)"],
     [("明码标价和禁止价格欺诈规定", 19)], 0.7),
    ([r"首页|显示的.{0,4}(价|优惠)|网店.{0,8}(价|优惠)", r"结算|付款|下单"], [("明码标价和禁止价格欺诈规定", 20)], 0.8),
    ([r"先消费后结算|结账.{0,8}(多|服务费)|服务费"], [("明码标价和禁止价格欺诈规定", 15)], 0.7),
    ([r"缺斤|少两|短斤|少了.{0,2}斤|秤|称.{0,4}少|一称"], [("计量法", 16)], 1.0),
    # personal information
    ([r"泄露|被卖|卖给|倒卖|外泄|被盗"], [("个人信息保护法", 69), ("消费者权益保护法", 29)], 0.5),
    ([r"泄露|外泄", r"通知|告诉|告知"], [("个人信息保护法", 57)], 1.0),
    ([r"不同意.{0,10}(不让|不能|无法)|不授权.{0,8}(不让|不能|无法)|授权.{0,10}才(能|让)"], [("个人信息保护法", 16)], 1.0),
    ([r"刷脸|人脸|指纹|身份证照片|生物识别"], [("个人信息保护法", 26), ("个人信息保护法", 29), ("个人信息保护法", 28)], 0.6),
    ([r"删除|注销|还保存|不删"], [("个人信息保护法", 47)], 0.7),
    ([r"推销短信|营销短信|广告短信|推销电话|骚扰"], [("广告法", 43), ("消费者权益保护法", 29)], 0.5),
    # platforms and delivery
    ([r"平台", r"联系不上|找不到|不见了|不提供.{0,6}(信息|地址|联系)"], [("消费者权益保护法", 44)], 0.7),
    ([r"自营"], [("电子商务法", 37)], 1.0),
    ([r"删.{0,3}差评|差评.{0,4}删"], [("电子商务法", 39)], 1.0),
    ([r"默认勾选|默认.{0,3}(同意|选)|搭售|勾选"], [("电子商务法", 19)], 1.0),
    ([r"快递|物流", r"摔坏|损坏|压坏|坏了|破了", r"商家|卖家|网购|买的"], [("电子商务法", 20)], 0.8),
    ([r"快递|包裹|快件", r"丢|少了|损毁|赔"], [("快递暂行条例", 27)], 0.8),
    ([r"快递|包裹|快件", r"送上门|快递柜|驿站|代收|放门口"], [("快递暂行条例", 25)], 1.0),
    ([r"主播|直播带货|直播间"], [("消费者权益保护法实施条例", 14)], 0.8),
    ([r"直播", r"打赏"], [("未成年人保护法", 76)], 0.5),
    ([r"游戏", r"孩子|小孩|未成年|学生|儿子|女儿"], [("未成年人保护法", 75), ("消费者权益保护法实施条例", 16)], 0.8),
    # tourism
    ([r"导游|旅游|旅行社|跟团", r"购物|购物店|强制|不买"], [("旅游法", 35)], 1.0),
    ([r"旅行社|旅游|跟团", r"擅自|换成|更改|改了|少去|变更"], [("旅游法", 69)], 1.0),
    ([r"旅行社|旅游|跟团|行程", r"提前回|不想玩|中途|退出|解除"], [("旅游法", 65)], 1.0),
    ([r"旅行社|旅游|行程", r"台风|地震|疫情|不可抗力|天气"], [("旅游法", 67)], 1.0),
    ([r"地接|组团社"], [("旅游法", 71)], 0.9),
    ([r"导游|领队", r"骂|辱|歧视|脸色"], [("旅游法", 10)], 0.8),
    # telecoms
    ([r"宽带|电话|网络|信号", r"报修|修|障碍|没人来"], [("电信条例", 32)], 0.8),
    ([r"运营商|电信|移动|联通|套餐|话费", r"没订|乱扣|强制|指定|限定|扣费"], [("电信条例", 40)], 0.8),
    ([r"信号|断线|掉线|网速"], [("电信条例", 30)], 0.9),
    ([_CAR_PATTERN, r"修了.{0,3}[二两三四五六七八九十\d]+次|修了好几次|换了.{0,3}[两二三]次|累计|修理时间"], [("家用汽车产品修理更换退货责任规定", 24)], 0.9),
    # injuries and products
    ([r"漏电|爆炸|起火|冒烟|烫伤|烧伤|炸|电到|伤"], [("消费者权益保护法", 49), ("产品质量法", 43), ("民法典侵权责任编", 1203)], 0.4),
    ([r"摔倒|滑倒|摔伤|电梯|地滑|地太滑"], [("民法典侵权责任编", 1198)], 0.9),
    ([r"柜台|展销会|租赁.{0,4}(柜台|场地)"], [("消费者权益保护法", 43)], 0.9),
    ([r"定做|定制|订做|影楼|婚纱照|底片|装修|施工"], [("民法典合同编", 781)], 0.8),
    ([r"底片|弄丢了.{0,6}(照片|材料)|保管不善"], [("民法典合同编", 784)], 0.8),
    ([r"治病|治疗|疗效|包治", r"广告|宣传|说"], [("广告法", 17)], 0.6),
    ([r"弹窗|关不掉"], [("广告法", 44)], 1.0),
    ([r"全网最低|最低价|国家级|最佳|第一"], [("广告法", 9)], 0.6),
    ([r"描述.{0,6}不一样|实物不符|货不对板|虚假宣传|和宣传.{0,4}不"], [("消费者权益保护法", 20)], 0.6),
    ([r"搜.{0,2}(身|包)|翻包|搜查|怀疑.{0,4}偷"], [("消费者权益保护法", 27)], 0.8),
    ([r"投诉", r"多久|几天|受理"], [("市场监督管理投诉举报处理暂行办法", 14)], 0.9),
    ([r"承诺|保证|说好的", r"不认|不兑现|不履行|反悔"], [("消费者权益保护法实施条例", 12)], 0.8),
]
_INTENTS = [([re.compile(p) for p in pats], arts, bonus) for pats, arts, bonus in INTENTS]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    article: Article
    score: float


class _BM25:
    """Okapi BM25 (k1=1.5, b=0.75) with weighted query terms, over an in-memory postings map."""

    K1 = 1.5
    B = 0.75

    def __init__(self, docs: list[list[str]]):
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.lengths = [len(d) for d in docs]
        for i, tokens in enumerate(docs):
            for term, tf in Counter(tokens).items():
                self.postings[term].append((i, tf))
        n = len(docs)
        self.avgdl = sum(self.lengths) / max(n, 1)
        self.idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()}

    def scores(self, weights: dict[str, float]) -> dict[int, float]:
        out: dict[int, float] = defaultdict(float)
        for term, qw in weights.items():
            postings = self.postings.get(term)
            if not postings:
                continue
            idf = self.idf[term]
            for i, tf in postings:
                denom = tf + self.K1 * (1 - self.B + self.B * self.lengths[i] / self.avgdl)
                out[i] += qw * idf * tf * (self.K1 + 1) / denom
        return out


_CAR_RE = re.compile(_CAR_PATTERN)

_CJK_RUN_RE = re.compile(r"[\u4e00-\u9fff]+")


def char_bigrams(text: str) -> list[str]:
    out = []
    for run in _CJK_RUN_RE.findall(text):
        out.extend(run[i:i + 2] for i in range(len(run) - 1))
    return out


class _Index:
    """Word-level BM25 (jieba) fused with character-bigram BM25, which catches words jieba splits
    differently in a question than in the law text."""

    BIGRAM_WEIGHT = 0.5

    def __init__(self, articles: tuple[Article, ...]):
        import jieba

        jieba.setLogLevel(logging.WARNING)
        tok = jieba.Tokenizer()
        for w in LEGAL_WORDS:
            tok.add_word(w, freq=20000)
        self.tok = tok
        self.articles = articles
        word_docs = _cached_tokens(articles)
        fresh = word_docs is None
        if fresh:
            # The chapter/section heading and the law's short name describe the article's topic.
            word_docs = [self.tokenize(a.text) + self.tokenize(f"{a.chapter} {a.section} {a.short_name}")
                         for a in articles]
            _store_tokens(articles, word_docs)
        bigram_docs = [char_bigrams(a.text) + char_bigrams(f"{a.chapter} {a.section} {a.short_name}") for a in articles]
        self.words = _BM25(word_docs)
        self.bigrams = _BM25(bigram_docs)
        self.prior = [self._prior(a) for a in articles]
        self.by_key = {(a.short_name, a.number): i for i, a in enumerate(articles)}
        self.penalty = [bool(_PENALTY_RE.search(a.text) and "赔偿" not in a.text) for a in articles]
        self.domains = {law: re.compile(p) for law, p in DOMAINS.items()}
        gates = {c: re.compile(p) for c, p in CHAPTER_GATES.items()}
        self.chapter_gate = [next((g for c, g in gates.items() if a.chapter.endswith(c)), None) for a in articles]

    def _scope_ok(self, a: Article, question: str) -> bool:
        """The car 三包 rules cover only family cars: keep them out of answers about other goods."""
        if a.short_name == "家用汽车产品修理更换退货责任规定":
            return bool(_CAR_RE.search(question))
        return True

    @staticmethod
    def _prior(a: Article) -> float:
        p = LAW_PRIOR.get(a.short_name, 1.0) * GENERAL_PRIOR.get(a.short_name, 1.0)
        if _PENALTY_RE.search(a.text) and "赔偿" not in a.text:
            p *= 0.6  # administrative penalties: rarely what a consumer asks
        if a.number == 1 or ("施行" in a.text and len(a.text) < 80):
            p *= 0.5  # purpose clauses and commencement dates never answer a question
        return p

    def tokenize(self, text: str) -> list[str]:
        out = []
        for t in self.tok.cut_for_search(text):
            t = t.strip()
            if not t or t in STOPWORDS or _PUNCT_RE.match(t):
                continue
            out.append(t)
        return out

    def query_terms(self, question: str) -> tuple[dict[str, float], dict[str, float]]:
        """Weighted word terms and weighted bigram terms of a question, expansions included."""
        words: dict[str, float] = {}
        bigrams: dict[str, float] = {}
        for t in self.tokenize(question):
            words[t] = words.get(t, 0.0) + 1.0
            for syn in TOKEN_SYNONYMS.get(t, "").split():
                words[syn] = max(words.get(syn, 0.0), SYNONYM_WEIGHT)
        for b in char_bigrams(question):
            bigrams[b] = bigrams.get(b, 0.0) + 1.0
        for pattern, terms in _EXPANSIONS:
            if pattern.search(question):
                for term in terms:
                    for t in self.tokenize(term):
                        words[t] = max(words.get(t, 0.0), EXPANSION_WEIGHT)
                    for b in char_bigrams(term):
                        bigrams[b] = max(bigrams.get(b, 0.0), EXPANSION_WEIGHT)
        return words, bigrams

    def search(self, question: str, k: int) -> list[Hit]:
        wq, bq = self.query_terms(question)
        scores = self.words.scores(wq)
        if self.BIGRAM_WEIGHT:
            for i, s in self.bigrams.scores(bq).items():
                scores[i] = scores.get(i, 0.0) + self.BIGRAM_WEIGHT * s
        boost_laws = {law for law, names in LAW_ALIASES.items() if any(n in question for n in names)}
        domain = {law: bool(rx.search(question)) for law, rx in self.domains.items()}
        asks_penalty = bool(_PENALTY_Q_RE.search(question))
        ranked: dict[int, float] = {}
        for i, s in scores.items():
            a = self.articles[i]
            s *= self.prior[i] if not asks_penalty else max(self.prior[i], self.prior[i] / 0.6 if self.penalty[i] else 0)
            if a.short_name in boost_laws:
                s *= 1.3
            elif a.short_name in domain:
                s *= IN_DOMAIN if domain[a.short_name] else OUT_OF_DOMAIN
            if (gate := self.chapter_gate[i]) is not None and not gate.search(question):
                s *= OUT_OF_DOMAIN
            ranked[i] = s
        # Query understanding: situations named in consumer words lift their governing articles.
        top = max(ranked.values(), default=0.0) or 1.0
        bonus: dict[int, float] = {}
        for patterns, arts, weight in _INTENTS:
            if all(p.search(question) for p in patterns):
                for rank, key in enumerate(arts):
                    i = self.by_key.get(key)
                    if i is not None:
                        bonus[i] = max(bonus.get(i, 0.0), top * weight * (1 - 0.05 * rank))
        for i, b in bonus.items():
            ranked[i] = ranked.get(i, 0.0) + b
        # An explicit "第N条" together with a named law is answered by that article first.
        if boost_laws and (m := _ARTICLE_REF_RE.search(question)):
            num = m.group(1)
            n = int(num) if num.isdigit() else cn_to_int(num)
            for law in boost_laws:
                if (law, n) in self.by_key:
                    i = self.by_key[(law, n)]
                    ranked[i] = max(ranked.values(), default=1.0) * 1.5 + 1
        out = sorted(((s, i) for i, s in ranked.items()), key=lambda x: (-x[0], x[1]))
        return [Hit(self.articles[i], round(s, 4)) for s, i in out[:k]]


# --- the tokenized articles on disk, keyed by the knowledge base -------------------------
# Tokenizing 2,000 articles with jieba is most of the index build. With a cache directory configured
# (the app sets ASSIST_INDEX_CACHE_DIR; tests and eval scripts do not) the token lists are kept as gzipped
# JSON (never pickle) named by a hash of every article's text and headings, the legal words, the stop
# words and jieba's version: any change to one of them is a new file, never a stale index.
_cache_dir: Path | None = None
CACHE_FORMAT = 1


def configure_cache(directory: str | os.PathLike | None) -> None:
    global _cache_dir
    _cache_dir = Path(directory) if directory else None


def kb_hash(articles: tuple[Article, ...]) -> str:
    import jieba

    h = hashlib.sha256(f"{CACHE_FORMAT}|{jieba.__version__}|".encode())
    h.update("\x1f".join(sorted(LEGAL_WORDS)).encode())
    h.update(b"\x1e" + "\x1f".join(sorted(STOPWORDS)).encode())
    for a in articles:
        h.update("\x1e".join(("", a.short_name, a.chapter, a.section, str(a.number), a.text)).encode())
    return h.hexdigest()[:32]


def _cache_file(articles: tuple[Article, ...]) -> Path | None:
    return _cache_dir / f"retrieval-tokens-{kb_hash(articles)}.json.gz" if _cache_dir is not None else None


def _cached_tokens(articles: tuple[Article, ...]) -> list[list[str]] | None:
    path = _cache_file(articles)
    if path is None or not path.is_file():
        return None
    try:
        data = json.loads(gzip.decompress(path.read_bytes()))
        if isinstance(data, list) and len(data) == len(articles) and all(isinstance(d, list) for d in data):
            return data
    except (OSError, ValueError, EOFError) as exc:
        log.warning("retrieval token cache %s unreadable (%s); rebuilding", path, type(exc).__name__)
    return None


def _store_tokens(articles: tuple[Article, ...], docs: list[list[str]]) -> None:
    path = _cache_file(articles)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(gzip.compress(json.dumps(docs, ensure_ascii=False).encode(), compresslevel=5))
        os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the whole new one
    except OSError as exc:
        log.warning("retrieval token cache not written (%s)", exc)


_lock = threading.Lock()
_index: _Index | None = None


def get_index() -> _Index:
    """The process-wide index, built on first use."""
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                _index = _Index(load_articles())
    return _index


def search(question: str, k: int = 5) -> list[Hit]:
    """The k articles that best answer the question, best first (empty if nothing matches)."""
    if not question or not question.strip():
        return []
    return get_index().search(question.strip(), k)
