"""The filing receipt (投诉受理回执) as a PDF, and what the public verification page may show.

reportlab draws it with its built-in CID font STSong-Light (Adobe's GB1 collection: no font file is
embedded or needed, every PDF reader has it) and its own QR code widget, which points to
``{PUBLIC_BASE_URL}/verify/{public_no}``; the same URL is printed under the code and is a link annotation.
The verification page shows only the public number, the status, the acceptance date and the business's
name: nothing about the consumer.
"""
from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from server.core.complaints.rules import rule_set_of
from server.core.models import Complaint
from server.core.money import format_yuan
from server.core.timeutil import SHANGHAI
from server.core.vocabulary import label

FONT = "STSong-Light"
_registered = False


def _font() -> str:
    global _registered
    if not _registered:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def _day(value: datetime | None, empty: str = "—") -> str:
    return value.astimezone(SHANGHAI).strftime("%Y年%m月%d日") if value else empty


def verify_url(settings: Mapping[str, Any], public_no: str) -> str:
    return f"{str(settings.get('PUBLIC_BASE_URL') or '').rstrip('/')}/verify/{public_no}"


def receipt_lines(complaint: Complaint, consumer_name: str | None, now: datetime) -> list[tuple[str, str]]:
    rules = rule_set_of(complaint.rule_set, complaint.accepted_at)
    lines = [
        ("投诉编号", complaint.public_no or ""),
        ("投诉人", consumer_name or "—"),
        ("被投诉经营者", complaint.business_name),
        ("投诉事项", complaint.title),
        ("诉求金额", f"{format_yuan(complaint.amount_claimed_fen)} 元" if complaint.amount_claimed_fen else "—"),
        ("提交日期", _day(complaint.created_at)),
        ("受理日期", _day(complaint.accepted_at, "尚未受理")),
        ("当前状态", label("statuses", complaint.status)),
    ]
    if complaint.response_deadline_at:
        lines.append(("商家答复期限", _day(complaint.response_deadline_at)))
    if complaint.deadline_at:
        lines.append(("当前处理期限", _day(complaint.deadline_at)))
    if rules is not None:
        lines.append(("适用规则", rules.name))
        lines.append(("期限规定", rules.describe()["mediation"]["text"] + f"；收到投诉之日起 {rules.accept_working_days}"
                      " 个工作日内决定是否受理"))
    lines.append(("出具日期", _day(now)))
    return lines


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    out, line = [], ""
    for ch in text:
        if stringWidth(line + ch, font, size) > width:
            out.append(line)
            line = ch
        else:
            line += ch
    if line or not out:
        out.append(line)
    return out


def render_receipt(settings: Mapping[str, Any], complaint: Complaint, consumer_name: str | None,
                   now: datetime) -> bytes:
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    font = _font()
    url = verify_url(settings, complaint.public_no or "")
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4, invariant=1)
    pdf.setTitle(f"投诉受理回执 {complaint.public_no}")
    pdf.setAuthor("Smart315")
    width, height = A4
    pdf.setFont(font, 20)
    pdf.drawCentredString(width / 2, height - 30 * mm, "投诉受理回执")
    y = height - 48 * mm
    left, value_x, right = 25 * mm, 60 * mm, width - 25 * mm
    for name, value in receipt_lines(complaint, consumer_name, now):
        pdf.setFont(font, 11)
        pdf.drawString(left, y, name)
        for part in _wrap(value, font, 11, right - value_x):
            pdf.drawString(value_x, y, part)
            y -= 7 * mm
        y -= 1.5 * mm
    # The QR code to the verification page, with the URL printed and linked.
    size = 36 * mm
    qr = QrCodeWidget(url)
    x0, y0, x1, y1 = qr.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(qr)
    qr_y = max(y - size - 4 * mm, 30 * mm)
    renderPDF.draw(drawing, pdf, left, qr_y)
    pdf.linkURL(url, (left, qr_y, left + size, qr_y + size), relative=0)
    pdf.setFont(font, 9)
    pdf.drawString(left + size + 6 * mm, qr_y + size - 8 * mm, "扫码或访问以下地址核验本回执真伪：")
    pdf.drawString(left + size + 6 * mm, qr_y + size - 14 * mm, url)
    pdf.drawString(left + size + 6 * mm, qr_y + size - 20 * mm, "核验页面只显示投诉编号、状态、受理日期和被投诉经营者。")
    pdf.drawString(left, 18 * mm, "本回执由 Smart315 消费投诉平台出具，仅证明投诉已提交及其处理状态。")
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def verification(complaint: Complaint | None) -> dict[str, Any] | None:
    """What /verify/{public_no} may show: no personal data."""
    if complaint is None:
        return None
    return {"public_no": complaint.public_no, "status": complaint.status,
            "status_label": label("statuses", complaint.status),
            "accepted_at": _day(complaint.accepted_at, "尚未受理"), "business_name": complaint.business_name}
