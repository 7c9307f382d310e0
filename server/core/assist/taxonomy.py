"""Industries and complaint categories in the 12315 style: stable codes, Chinese names."""
from __future__ import annotations

INDUSTRIES: list[tuple[str, str]] = [
    ("food", "食品"),
    ("appliance", "家用电子电器"),
    ("telecom_device", "通讯器材"),
    ("vehicle", "交通工具"),
    ("clothing", "服装鞋帽"),
    ("online_shopping", "网络购物"),
    ("education", "教育培训"),
    ("travel", "旅游"),
    ("catering", "餐饮住宿"),
    ("beauty", "美容美发"),
    ("housing", "房屋及物业"),
    ("finance", "金融"),
    ("insurance", "保险"),
    ("telecom_service", "电信服务"),
    ("internet_service", "互联网服务"),
    ("medical", "医疗"),
    ("culture_sports", "文化娱乐体育"),
    ("other", "其他"),
]

CATEGORIES: list[tuple[str, str]] = [
    ("quality", "质量"),
    ("safety", "安全"),
    ("price", "价格"),
    ("contract", "合同"),
    ("after_sales", "售后服务"),
    ("false_advertising", "虚假宣传"),
    ("measurement", "计量"),
    ("counterfeit", "假冒"),
    ("dignity", "人格尊严"),
    ("personal_info", "个人信息"),
    ("other", "其他"),
]

INDUSTRY_CODES = frozenset(code for code, _ in INDUSTRIES)
CATEGORY_CODES = frozenset(code for code, _ in CATEGORIES)
INDUSTRY_NAMES = dict(INDUSTRIES)
CATEGORY_NAMES = dict(CATEGORIES)
