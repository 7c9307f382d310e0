"""Build eval/*.jsonl from eval/*.src.txt (question|ABBR:article ...), checking every article exists.

Usage: .venv/bin/python eval/build_sets.py eval/test_questions.src.txt eval/test_questions.jsonl
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
AB = {"X":"消费者权益保护法","XT":"消费者权益保护法实施条例","F":"食品安全法","FT":"食品安全法实施条例",
"FJ":"最高人民法院关于审理食品药品惩罚性赔偿纠纷案件适用法律若干问题的解释","FG":"最高人民法院关于审理食品药品纠纷案件适用法律若干问题的规定",
"Y":"最高人民法院关于审理预付式消费民事纠纷案件适用法律若干问题的解释","E":"电子商务法","P":"产品质量法","JG":"价格法",
"MB":"明码标价和禁止价格欺诈规定","GR":"个人信息保护法","HT":"民法典合同编","QQ":"民法典侵权责任编","LY":"旅游法","GG":"广告法",
"KD":"快递暂行条例","DX":"电信条例","WC":"未成年人保护法","LN":"老年人权益保障法","JL":"计量法","FB":"反不正当竞争法",
"MM":"最高人民法院关于审理买卖合同纠纷案件适用法律问题的解释","CF":"侵害消费者权益行为处罚办法","TS":"市场监督管理投诉举报处理暂行办法","QC":"家用汽车产品修理更换退货责任规定"}
from server.core.assist.knowledge import find_article  # noqa: E402


def main(src: str, dst: str) -> int:
    out = []
    for line in open(src, encoding="utf-8"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        q, gold = line.rsplit("|", 1)
        answers = []
        for g in gold.split():
            ab, n = g.split(":")
            law, number = AB[ab], int(n)
            assert find_article(law, number), (law, number)
            answers.append({"law": law, "article": number})
        out.append(json.dumps({"question": q.strip(), "answers": answers}, ensure_ascii=False))
    with open(dst, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    return len(out)


if __name__ == "__main__":
    print(main(sys.argv[1], sys.argv[2]))
