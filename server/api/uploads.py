"""Evidence uploads (multipart `file`) and their download, only for those who may see the complaint."""
from __future__ import annotations

from flask import Blueprint, request, send_file

from server.api.context import db_session, settings
from server.api.limits import check_upload_limit
from server.api.operation import operation
from server.api.schemas import UploadOut
from server.api.serializers import upload_json
from server.core.errors import Forbidden, ValidationFailed
from server.core.models import Upload
from server.core.storage import get_store
from server.core.uploads import do_store_upload, get_readable_upload

bp = Blueprint("uploads", __name__)

UPLOAD_BODY = {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}


@bp.post("/uploads")
@operation(summary="上传证据（JPEG/PNG/WebP 图片或 PDF，≤10 MB，按内容识别类型）", response=UploadOut, status=201,
           tags=("uploads",), errors=(413, 415, 429))
def upload(actor):
    if actor.user is None:
        raise Forbidden("请用个人账号上传")
    f = request.files.get("file")
    if f is None:
        raise ValidationFailed([{"field": "file", "message": "请以 multipart/form-data 上传字段 file"}])
    check_upload_limit(actor)
    limit = int(settings()["UPLOAD_MAX_BYTES"])
    data = f.stream.read(limit + 1)
    s = db_session()
    u = do_store_upload(s, settings(), actor, data)
    s.commit()
    return upload_json(u), 201


upload._openapi["multipart"] = UPLOAD_BODY


@bp.get("/uploads/<string:upload_id>")
@operation(summary="下载证据（仅限能查看所属投诉的人）", tags=("uploads",), errors=(404,),
           content_type="application/octet-stream", api_key=True)
def download(upload_id: str, actor):
    s = db_session()
    u = get_readable_upload(s, actor, upload_id)
    return stored_file_response(settings(), u, as_attachment=True)


def stored_file_response(cfg, u: Upload, as_attachment: bool):
    """Stream an upload from the store (local file or S3 object) in chunks; the caller has checked who may
    read it. Same headers whichever the store: type, length, attachment name, ETag, Last-Modified, no caching."""
    stored = get_store(cfg).open(u.storage_name)
    resp = send_file(stored.file, mimetype=u.mime, as_attachment=as_attachment,
                     download_name=f"evidence-{u.id}.{u.storage_name.rsplit('.', 1)[-1]}", max_age=0,
                     etag=u.sha256, last_modified=stored.last_modified, conditional=False)
    resp.content_length = stored.size
    resp = resp.make_conditional(request.environ, accept_ranges=True, complete_length=stored.size)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp
