"""Upload storage in tests: a real S3 wire-protocol server (moto's server mode, on a free port, once per test
session) with a fresh bucket per test, and a way to look at what a backend holds that does not go through
the server's own store code (the directory itself, or the bucket through a separate boto3 client)."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.security.procs import free_port

S3_CREDENTIALS = {"S3_ACCESS_KEY_ID": "test-access-key", "S3_SECRET_ACCESS_KEY": "test-secret-key",
                  "S3_REGION": "us-east-1", "S3_ADDRESSING_STYLE": "path"}


@pytest.fixture(scope="session")
def s3_server():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def s3_client(settings):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=settings["S3_ENDPOINT_URL"], region_name=settings["S3_REGION"],
                        aws_access_key_id=settings["S3_ACCESS_KEY_ID"],
                        aws_secret_access_key=settings["S3_SECRET_ACCESS_KEY"],
                        config=Config(s3={"addressing_style": "path"}))


def s3_settings(endpoint: str) -> dict:
    cfg = {"UPLOAD_STORAGE": "s3", "S3_ENDPOINT_URL": endpoint, "S3_BUCKET": f"evidence-{uuid.uuid4().hex[:12]}",
           **S3_CREDENTIALS}
    s3_client(cfg).create_bucket(Bucket=cfg["S3_BUCKET"])
    return cfg


def stored_objects(settings) -> dict[str, bytes]:
    """storage name -> bytes of everything the configured backend holds."""
    if settings.get("UPLOAD_STORAGE") == "s3":
        client = s3_client(settings)
        keys = [o["Key"] for o in client.list_objects_v2(Bucket=settings["S3_BUCKET"]).get("Contents", [])]
        return {k.rsplit("/", 1)[-1]: client.get_object(Bucket=settings["S3_BUCKET"], Key=k)["Body"].read()
                for k in keys}
    base = Path(settings["UPLOAD_DIR"])
    return {p.name: p.read_bytes() for p in base.rglob("*") if p.is_file()} if base.exists() else {}


# Put on a test module or function to run it against both backends.
both_backends = pytest.mark.parametrize("upload_backend", ["local", "s3"])
