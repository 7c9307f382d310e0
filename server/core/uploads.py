"""Evidence uploads: type decided by content, images re-encoded without EXIF, stored outside the web root."""
from __future__ import annotations

import hashlib
import io
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import filetype
from PIL import Image, ImageOps, UnidentifiedImageError

from server.core.actor import Actor
from server.core.complaints.visibility import can_see, parties
from server.core.errors import NotFound, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from server.core.models import Complaint, Upload
from server.core.storage import get_store

ALLOWED = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "application/pdf": "pdf"}
Image.MAX_IMAGE_PIXELS = 50_000_000  # refuse decompression bombs


def sniff(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    kind = filetype.guess(data[:8192])
    return kind.mime if kind and kind.mime in ALLOWED else None


def _reencode(data: bytes, mime: str) -> bytes:
    """Decode and re-encode the image: drops EXIF (GPS) and anything smuggled after the pixels."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            # Pillow only raises past 2x MAX_IMAGE_PIXELS (it merely warns in between): refuse at 1x,
            # from the header, before a few KB of PNG inflate into hundreds of MB of pixels.
            if img.width * img.height > Image.MAX_IMAGE_PIXELS:
                raise Image.DecompressionBombError(f"{img.width}x{img.height} pixels")
            img.load()
            img = ImageOps.exif_transpose(img)
            out = io.BytesIO()
            if mime == "image/jpeg":
                img.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
            elif mime == "image/png":
                img.save(out, "PNG", optimize=True)
            else:
                img.save(out, "WEBP", quality=88)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise UnsupportedMediaType("图片已损坏或无法识别") from exc


# PDF active content (issue 15.10): actions that run code, open files or send data, and attached files.
_ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/ResetForm", "/Rendition",
                   "/GoToE", "/GoToR", "/Movie", "/Sound", "/RichMediaExecute", "/URI"}
_ACTIVE_KEYS = ("/OpenAction", "/AA", "/JS", "/EF", "/EmbeddedFiles", "/JavaScript", "/XFA", "/RichMediaContent")


def _strip_active(obj, seen: set) -> None:
    """Walk everything reachable from the trailer (direct objects too: /Names often is) and remove active
    content in place."""
    import pikepdf

    if isinstance(obj, pikepdf.Stream | pikepdf.Dictionary | pikepdf.Array) and obj.is_indirect:
        if obj.objgen in seen:
            return
        seen.add(obj.objgen)
    if isinstance(obj, pikepdf.Array):
        for item in obj:
            _strip_active(item, seen)
        return
    if not isinstance(obj, pikepdf.Stream | pikepdf.Dictionary):
        return
    for key in _ACTIVE_KEYS:
        if key in obj:
            del obj[key]
    if obj.get("/S") in _ACTIVE_ACTIONS:
        for key in list(obj.keys()):
            if key != "/Type":
                del obj[key]
    if obj.get("/Subtype") in ("/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound"):
        for key in ("/FS", "/A", "/RichMediaContent"):
            if key in obj:
                del obj[key]
    for key in list(obj.keys()):
        if key != "/Parent":  # the page tree is reached from /Root; /Parent only points back up
            _strip_active(obj[key], seen)


def _sanitize_pdf(data: bytes) -> bytes:
    """Parse and re-write the PDF with qpdf (pikepdf), keeping only what is reachable from its catalog,
    without automatic or scripted actions, JavaScript, launch actions or embedded files. Bytes after the
    PDF (a ZIP of a PDF+ZIP polyglot) are not part of the document and are not written."""
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if pdf.is_encrypted:
                raise ValidationFailed([{"field": "file", "message": "不支持加密的 PDF 文件，请去除密码后再上传"}])
            _strip_active(pdf.trailer, set())
            out = io.BytesIO()
            pdf.save(out, linearize=False, qdf=False, compress_streams=True,
                     object_stream_mode=pikepdf.ObjectStreamMode.preserve)
            return out.getvalue()
    except ValidationFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - pikepdf.PdfError and anything qpdf cannot make sense of
        raise ValidationFailed([{"field": "file", "message": "PDF 文件已损坏或无法解析"}]) from exc


def storage_path(settings: Mapping[str, Any], storage_name: str) -> Path:
    """The file of an upload under UPLOAD_DIR (local storage only; see server.core.storage)."""
    from server.core.storage import LocalStore

    return LocalStore(settings["UPLOAD_DIR"]).path(storage_name)


def do_store_upload(session, settings: Mapping[str, Any], actor: Actor, data: bytes) -> Upload:
    if not data:
        raise ValidationFailed([{"field": "file", "message": "文件为空"}])
    if len(data) > int(settings["UPLOAD_MAX_BYTES"]):
        raise PayloadTooLarge(f"文件不能超过 {int(settings['UPLOAD_MAX_BYTES']) // (1024 * 1024)} MB")
    mime = sniff(data)
    if mime is None:
        raise UnsupportedMediaType("只支持 JPEG、PNG、WebP 图片和 PDF 文件")
    data = _sanitize_pdf(data) if mime == "application/pdf" else _reencode(data, mime)
    upload_id = secrets.token_hex(16)
    storage_name = f"{secrets.token_hex(20)}.{ALLOWED[mime]}"
    # Only re-encoded bytes reach the store (local directory or S3 bucket, UPLOAD_STORAGE).
    get_store(settings).put(storage_name, data, mime)
    upload = Upload(id=upload_id, owner_id=actor.user_id, storage_name=storage_name,
                    sha256=hashlib.sha256(data).hexdigest(), mime=mime, size=len(data), moderation="pass")
    session.add(upload)
    session.flush()
    # Images go to the moderation provider (WeChat: media_check_async; its verdict comes by push).
    from server.core import moderation

    verdict = moderation.check_media(upload, user=actor.user, settings=settings)
    if verdict.trace_id:
        upload.moderation, upload.moderation_trace_id = "pending", verdict.trace_id
    return upload


def upload_visible_in(actor: Actor, complaint: Complaint, upload: Upload) -> bool:
    """A risky image (WeChat's media check) is withdrawn: only its owner and the complaint's mediators
    still see it."""
    if (upload.moderation or "pass") != "risky":
        return True
    if upload.owner_id is not None and upload.owner_id == actor.user_id:
        return True
    return "mediator" in parties(actor, complaint)


def get_readable_upload(session, actor: Actor | None, upload_id: str) -> Upload:
    """The owner, or anyone who may see the complaint it belongs to; everyone else gets 404."""
    upload = session.get(Upload, upload_id) if len(upload_id) <= 32 else None
    if upload is None or actor is None:
        raise NotFound("附件不存在")
    if upload.owner_id is not None and upload.owner_id == actor.user_id:
        return upload
    if upload.complaint_id is not None:
        complaint = session.get(Complaint, upload.complaint_id)
        if complaint is not None and can_see(actor, complaint) and upload_visible_in(actor, complaint, upload):
            return upload
    else:
        # Evidence given with a business appeal: for those who see the appeal whole (not the consumer).
        from server.core.appeals import appeal_complaint_of_upload, sees_appeal_details

        complaint = appeal_complaint_of_upload(session, upload.id)
        if complaint is not None and sees_appeal_details(actor, complaint) \
                and upload_visible_in(actor, complaint, upload):
            return upload
        # Evidence given with a report (举报): for those who may read the report (its region's mediators, admins).
        from sqlalchemy import select

        from server.core.casefile import report_of_upload, report_visibility
        from server.core.models import Report

        report = report_of_upload(session, upload.id)
        if report is not None and session.execute(
                select(Report.id).where(Report.id == report.id, report_visibility(actor))).first() is not None:
            return upload
    raise NotFound("附件不存在")


def check_own_uploads(session, actor: Actor, attachment_ids, *, complaint_id: int | None = None,
                      limit: int | None = None) -> tuple[list, list[dict[str, str]]]:
    """The caller's uploads that may become evidence now, in the order asked (duplicates dropped), and the
    errors for the others: one upload is evidence of one thing only — a complaint (`complaint_id` allows
    the caller's own complaint again, for a supplement), a message, an appeal or a report. One query."""
    from sqlalchemy import exists, select

    from server.core.models import AppealAttachment, MessageAttachment, ReportAttachment, Upload

    ids = list(dict.fromkeys(attachment_ids or []))
    if limit is not None and len(ids) > limit:
        return [], [{"field": "attachment_ids", "message": f"最多 {limit} 个附件"}]
    if not ids:
        return [], []
    in_use = (exists().where(AppealAttachment.upload_id == Upload.id)
              | exists().where(ReportAttachment.upload_id == Upload.id)
              | exists().where(MessageAttachment.upload_id == Upload.id))
    rows = {u.id: (u, used) for u, used in session.execute(
        select(Upload, in_use.label("used")).where(Upload.id.in_(ids))).all()}
    errors = []
    for aid in ids:
        if aid not in rows:
            errors.append({"field": "attachment_ids", "message": f"附件 {aid} 不存在"})
            continue
        u, used = rows[aid]
        if u.owner_id is None or u.owner_id != actor.user_id or used or u.complaint_id not in (None, complaint_id):
            errors.append({"field": "attachment_ids", "message": f"附件 {aid} 不可用"})
    return ([rows[i][0] for i in ids] if not errors else []), errors


def claim_own_uploads(session, actor: Actor, attachment_ids, **kwargs) -> list:
    """check_own_uploads, refusing the whole request (422) when any upload may not be used."""
    from server.core.errors import ValidationFailed

    uploads, errors = check_own_uploads(session, actor, attachment_ids, **kwargs)
    if errors:
        raise ValidationFailed(errors)
    return uploads


def bind_to_complaint(complaint: Complaint, uploads) -> None:
    """Checked uploads become evidence of the complaint (at filing, with a supplement, with a message): its
    parties may read them (get_readable_upload), and an image WeChat's media check sent to a person puts the
    complaint under review (server.core.moderation.holds)."""
    for u in uploads:
        u.complaint_id = complaint.id
        if u.moderation == "review":
            complaint.moderation = "review" if (complaint.moderation or "pass") == "pass" else complaint.moderation


def message_attachments(session, message_ids) -> dict[int, list[Upload]]:
    """The uploads sent with each of the messages, in the order they were sent. One query."""
    from sqlalchemy import select

    from server.core.models import MessageAttachment

    out: dict[int, list[Upload]] = {}
    if not message_ids:
        return out
    rows = session.execute(select(MessageAttachment.message_id, Upload).join(Upload, Upload.id == MessageAttachment.upload_id)
                           .where(MessageAttachment.message_id.in_(list(message_ids)))
                           .order_by(MessageAttachment.message_id, MessageAttachment.position)).all()
    for mid, u in rows:
        out.setdefault(mid, []).append(u)
    return out
