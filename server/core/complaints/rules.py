"""Rule sets: the regulations a complaint is handled under, chosen by the day it is accepted.

SAMR Order 121 (市场监督管理投诉举报处理办法, in force 2026-04-15) ends mediation 60 days after
acceptance; complaints accepted before that day keep the 2022 rules (45 working days). Each complaint
records its rule set (`complaint.rule_set`) when it is accepted, and that rule set decides its
mediation deadline for the rest of its life, whatever the rules become later."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from server.core.timeutil import SHANGHAI, add_working_days


@dataclass(frozen=True)
class RuleSet:
    code: str
    name: str
    effective_from: date  # applies to complaints accepted on or after this day (Shanghai time)
    accept_working_days: int
    mediation_days: int
    mediation_in_working_days: bool
    summary: str

    def mediation_deadline(self, accepted_at: datetime) -> datetime:
        if self.mediation_in_working_days:
            return add_working_days(accepted_at, self.mediation_days)
        return accepted_at + timedelta(days=self.mediation_days)

    def describe(self) -> dict:
        unit = "个工作日" if self.mediation_in_working_days else "日"
        return {"code": self.code, "name": self.name, "effective_from": self.effective_from.isoformat(),
                "accept_working_days": self.accept_working_days,
                "mediation": {"days": self.mediation_days, "working_days": self.mediation_in_working_days,
                              "text": f"调解自受理之日起 {self.mediation_days} {unit}内终结"},
                "summary": self.summary}


RULE_SETS: tuple[RuleSet, ...] = (
    RuleSet("samr-2022", "市场监督管理投诉举报处理暂行办法（2022 年修正）", date(2022, 3, 24), 7, 45, True,
            "2026 年 4 月 15 日前受理的投诉：收到投诉之日起 7 个工作日内决定是否受理；"
            "调解自受理之日起 45 个工作日内终结。"),
    RuleSet("samr-121", "市场监督管理投诉举报处理办法（市场监管总局令第 121 号）", date(2026, 4, 15), 7, 60, False,
            "自 2026 年 4 月 15 日起受理的投诉：收到投诉之日起 7 个工作日内决定是否受理；"
            "调解自受理之日起 60 日内终结；消费者拒绝核实身份或不能证明与被投诉人之间存在消费关系的，不予受理。"),
)
BY_CODE = {r.code: r for r in RULE_SETS}


def rule_set_for(accepted_at: datetime) -> RuleSet:
    day = accepted_at.astimezone(SHANGHAI).date()
    current = RULE_SETS[0]
    for rule in RULE_SETS:
        if day >= rule.effective_from:
            current = rule
    return current


def rule_set_of(code: str | None, accepted_at: datetime | None) -> RuleSet | None:
    if code in BY_CODE:
        return BY_CODE[code]
    return rule_set_for(accepted_at) if accepted_at is not None else None
