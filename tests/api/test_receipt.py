"""Issue 18 item 5: the filing receipt (投诉受理回执) as a PDF with a QR code to the verification page.

Read back with pypdf: the text names the public number, the parties, the dates, the rule set's deadlines and
the verification URL; the QR code (its modules read from the content stream and decoded with zxing-cpp) and a
link annotation both point to {PUBLIC_BASE_URL}/verify/{public_no}.
/verify/{public_no} confirms the receipt without personal data. Only the consumer and the complaint's
mediators (admins) may download it.
"""
from __future__ import annotations

import io

import zxingcpp
from PIL import Image, ImageDraw
from pypdf import PdfReader
from pypdf.generic import ContentStream

from server.core.vocabulary import label
from tests.factories import act, file_complaint


def _pdf(resp) -> tuple[str, list[str]]:
    reader = PdfReader(io.BytesIO(resp.data))
    text = "".join(page.extract_text() for page in reader.pages)
    links = [a.get_object()["/A"]["/URI"] for page in reader.pages for a in page.get("/Annots", [])
             if "/A" in a.get_object()]
    return text, links


def qr_texts(data: bytes) -> list[str]:
    """Decode the QR codes drawn as filled rectangles on the PDF's first page (no renderer needed)."""
    page = PdfReader(io.BytesIO(data)).pages[0]
    rects, pending = [], []
    for operands, op in ContentStream(page.get_contents(), page.pdf).operations:
        if op == b"re":
            x, y, w, h = (float(v) for v in operands)
            pending.append((min(x, x + w), min(y, y + h), abs(w), abs(h)))
        elif op in (b"f", b"f*", b"F", b"B", b"B*"):
            rects += pending
            pending = []
        elif op == b"n":
            pending = []
    x0, y0 = min(r[0] for r in rects), min(r[1] for r in rects)
    x1, y1 = max(r[0] + r[2] for r in rects), max(r[1] + r[3] for r in rects)
    scale, pad = 600 / max(x1 - x0, y1 - y0), 60
    img = Image.new("L", (int((x1 - x0) * scale) + 2 * pad, int((y1 - y0) * scale) + 2 * pad), 255)
    draw = ImageDraw.Draw(img)
    for x, y, w, h in rects:
        left, top = pad + (x - x0) * scale, pad + (y1 - y - h) * scale
        draw.rectangle([left, top, left + w * scale - 1, top + h * scale - 1], fill=0)
    return [r.text for r in zxingcpp.read_barcodes(img)]


def test_the_receipt_names_the_case_and_links_to_its_verification(client, auth, settings):
    owner, biz = auth.business("北京优品电器有限公司")
    consumer, mediator = auth.consumer("王小明"), auth.mediator("1101")
    admin = auth.admin("receipt-admin")
    c = file_complaint(client, consumer, biz["id"])
    act(client, mediator, c["id"], "accept")

    for who in (consumer, mediator, admin):
        r = client.get(f"/api/v1/complaints/{c['id']}/receipt.pdf", headers=who.headers)
        assert r.status_code == 200 and r.mimetype == "application/pdf" and r.data.startswith(b"%PDF")
        assert "attachment" in r.headers["Content-Disposition"]
    text, links = _pdf(r)
    url = f"{settings['PUBLIC_BASE_URL'].rstrip('/')}/verify/{c['public_no']}"
    for part in ("投诉受理回执", c["public_no"], "王小明", "北京优品电器有限公司", "3999.00", "受理日期",
                 "适用规则", "商家答复期限"):
        assert part in text, part
    assert "尚未受理" not in text
    # The rule set the complaint is handled under, with its deadlines (samr-121: 60 days from acceptance).
    assert "市场监管总局令第 121 号" in text and "60 日内终结" in text
    assert url in text.replace("\n", "")
    assert links == [url]
    assert qr_texts(r.data) == [url]  # the QR code itself decodes to the verification page


def test_only_the_consumer_and_mediators_get_it(client, auth):
    owner, biz = auth.business()
    consumer, mediator = auth.consumer(), auth.mediator("1101")
    c = file_complaint(client, consumer, biz["id"])
    act(client, mediator, c["id"], "accept")
    url = f"/api/v1/complaints/{c['id']}/receipt.pdf"
    r = client.get(url, headers=owner.headers)
    assert r.status_code == 403 and r.get_json()["detail"] == "只有投诉人和调解员可以下载投诉受理回执"
    for who in (auth.consumer("路人"), auth.mediator("3101")):
        assert client.get(url, headers=who.headers).status_code == 404
    assert client.get(url).status_code == 401


def test_the_verification_page_confirms_without_personal_data(client, auth):
    owner, biz = auth.business("北京优品电器有限公司")
    consumer, mediator = auth.consumer("王小明", phone="13812345678"), auth.mediator("1101")
    c = file_complaint(client, consumer, biz["id"])
    status = act(client, mediator, c["id"], "accept")["status"]
    page = client.get(f"/verify/{c['public_no']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "真实有效" in html and c["public_no"] in html and "北京优品电器有限公司" in html
    assert label("statuses", status) in html
    for personal in ("王小明", "13812345678", c["title"], "JD20261101001", "3999"):
        assert personal not in html, personal
    missing = client.get("/verify/TS000000000000")
    assert missing.status_code == 404 and "未找到" in missing.get_data(as_text=True)
