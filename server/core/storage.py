"""Where evidence files live: `UPLOAD_STORAGE` = `local` (default, a directory, `UPLOAD_DIR`) or `s3` (any
S3-compatible object store: AWS S3, Aliyun OSS, Tencent COS, MinIO), behind one small interface.

Objects are named by `Upload.storage_name` (random hex plus extension, chosen by the server), stored as
`<first two characters>/<storage_name>` in both backends. Callers check who may read an upload BEFORE opening
it; `open` returns a file-like object that is read in chunks (never the whole object in memory).
"""
from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from server.core.errors import NotFound, UpstreamUnavailable

log = logging.getLogger("smart315.storage")

_NAME = re.compile(r"^[0-9a-f]{16,64}\.(jpg|png|webp|pdf)$")


def _check_name(storage_name: str) -> str:
    if not _NAME.match(storage_name or ""):
        raise NotFound("附件不存在")
    return storage_name


def object_key(storage_name: str) -> str:
    name = _check_name(storage_name)
    return f"{name[:2]}/{name}"


@dataclass
class StoredFile:
    file: BinaryIO  # read in chunks; closed by whoever consumes it
    size: int
    last_modified: datetime | float | None = None


class UploadStore(Protocol):
    def put(self, storage_name: str, data: bytes, mime: str) -> None: ...
    def open(self, storage_name: str) -> StoredFile: ...
    def delete(self, storage_name: str) -> None: ...
    def names(self) -> list[str]: ...


class LocalStore:
    """A directory on this machine (one machine, or a shared file system mounted on every web machine)."""

    def __init__(self, directory: str):
        self.base = Path(directory).resolve()

    def path(self, storage_name: str) -> Path:
        path = (self.base / object_key(storage_name)).resolve()
        if self.base not in path.parents:
            raise NotFound("附件不存在")
        return path

    def put(self, storage_name: str, data: bytes, mime: str) -> None:
        path = self.path(storage_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)

    def open(self, storage_name: str) -> StoredFile:
        try:
            f = open(self.path(storage_name), "rb")  # noqa: SIM115 - the response closes it
        except FileNotFoundError as exc:
            raise NotFound("附件不存在") from exc
        st = os.fstat(f.fileno())
        return StoredFile(file=f, size=st.st_size, last_modified=st.st_mtime)

    def delete(self, storage_name: str) -> None:
        self.path(storage_name).unlink(missing_ok=True)

    def names(self) -> list[str]:
        if not self.base.exists():
            return []
        return sorted(p.name for p in self.base.rglob("*") if p.is_file())


class S3Store:
    """An S3-compatible bucket (boto3). The bucket must exist; the server only puts, gets and deletes objects."""

    def __init__(self, settings: Mapping[str, Any]):
        import boto3
        from botocore.config import Config

        if not settings.get("S3_BUCKET"):
            raise RuntimeError("UPLOAD_STORAGE=s3 needs S3_BUCKET")
        if settings["S3_ADDRESSING_STYLE"] not in ("auto", "path", "virtual"):
            raise RuntimeError("S3_ADDRESSING_STYLE must be auto, path or virtual")
        self.bucket = settings["S3_BUCKET"]
        config = Config(
            region_name=settings.get("S3_REGION") or None,
            signature_version="s3v4",
            s3={"addressing_style": settings["S3_ADDRESSING_STYLE"]},
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=settings["S3_TIMEOUT_SECONDS"],
            read_timeout=settings["S3_TIMEOUT_SECONDS"],
            # boto3 >= 1.36 adds CRC checksums to every upload by default; several S3-compatible stores
            # (older MinIO, some OSS/COS regions) refuse them. Only send them where the API requires it.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=settings.get("S3_ENDPOINT_URL") or None,
            aws_access_key_id=settings.get("S3_ACCESS_KEY_ID") or None,
            aws_secret_access_key=settings.get("S3_SECRET_ACCESS_KEY") or None, config=config)

    def _fail(self, exc: Exception, what: str):
        log.warning("object storage %s failed: %s", what, exc)
        raise UpstreamUnavailable("附件存储暂时不可用，请稍后再试") from exc

    def put(self, storage_name: str, data: bytes, mime: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.put_object(Bucket=self.bucket, Key=object_key(storage_name), Body=data, ContentType=mime)
        except (BotoCoreError, ClientError) as exc:
            self._fail(exc, "put")

    def open(self, storage_name: str) -> StoredFile:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=object_key(storage_name))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                raise NotFound("附件不存在") from exc
            self._fail(exc, "get")
        except BotoCoreError as exc:
            self._fail(exc, "get")
        return StoredFile(file=obj["Body"], size=int(obj["ContentLength"]), last_modified=obj.get("LastModified"))

    def delete(self, storage_name: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.delete_object(Bucket=self.bucket, Key=object_key(storage_name))
        except (BotoCoreError, ClientError) as exc:
            raise OSError(f"delete of {storage_name} failed: {exc}") from exc

    def names(self) -> list[str]:
        out: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            out += [o["Key"].rsplit("/", 1)[-1] for o in page.get("Contents", [])]
        return sorted(out)


_STORES: dict[tuple, UploadStore] = {}
_LOCK = threading.Lock()
_S3_KEYS = ("S3_ENDPOINT_URL", "S3_BUCKET", "S3_REGION", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY",
            "S3_ADDRESSING_STYLE", "S3_TIMEOUT_SECONDS")


def get_store(settings: Mapping[str, Any]) -> UploadStore:
    """The store the settings name; S3 clients are made once per configuration and shared (thread-safe)."""
    kind = settings["UPLOAD_STORAGE"].lower()
    if kind == "local":
        return LocalStore(settings["UPLOAD_DIR"])
    if kind != "s3":
        raise RuntimeError(f"UPLOAD_STORAGE must be local or s3, not {kind!r}")
    key = tuple(settings.get(k) for k in _S3_KEYS)
    with _LOCK:
        store = _STORES.get(key)
        if store is None:
            store = _STORES[key] = S3Store(settings)
    return store


def delete_quietly(settings: Mapping[str, Any] | None, storage_name: str) -> None:
    """Erasure and clean-up: the row goes anyway; a leftover object is unreachable without it, but logged
    so an operator can remove it."""
    if settings is None:
        return
    try:
        get_store(settings).delete(storage_name)
    except NotFound:
        pass
    except OSError as exc:
        log.warning("could not delete stored upload %s: %s", storage_name, exc)
