"""Webhook delivery connects to the address it checked (no second DNS lookup a rebinding DNS server could
answer differently), keeps the URL's Host and path, and over https verifies the certificate against the
URL's host name (SNI), not the IP it connected to."""
from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from server.core.notifications.channels import Context
from server.core.notifications.channels import webhook as webhook_channel
from server.core.notifications.webhooks import UnsafeUrl, check_url, verify_signature
from tests.core.notifications.helpers import add_webhook, complaint_parties, file_and_forward, rows
from tests.core.notifications.receiver import running_receiver

_real_getaddrinfo = socket.getaddrinfo


@pytest.fixture
def parties(client, auth):
    return complaint_parties(auth)


def fake_dns(monkeypatch, name: str, answer: Callable[[int], str]) -> list[str]:
    """Make `name` resolve to answer(n) on the n-th lookup (0-based); other names resolve normally
    (Redis, the local servers). Returns the list of answers given, one per lookup of `name`."""
    given: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != name:
            return _real_getaddrinfo(host, port, *args, **kwargs)
        ip = answer(len(given))
        given.append(ip)
        family = socket.AF_INET6 if ":" in ip else socket.AF_INET
        sockaddr = (ip, int(port), 0, 0) if family == socket.AF_INET6 else (ip, int(port))
        return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr)]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return given


def webhook_row(client, db, parties, url: str):
    """A pending webhook notification for a hook at `url` (created under the tests' permissive setting,
    which does not resolve the host), and the hook's secret."""
    owner, biz, consumer, mediator = parties
    hook = add_webhook(client, owner, biz["id"], url)
    file_and_forward(client, consumer, mediator, biz["id"])
    [row] = rows(db, channel="webhook")
    return row, hook["secret"]


# ------------------------------------------------------------------ DNS rebinding

def test_rebinding_dns_cannot_redirect_the_request_to_loopback(client, db, settings, parties, monkeypatch):
    with running_receiver() as rec:
        port = int(rec.url.rsplit(":", 1)[1])
        row, secret = webhook_row(client, db, parties, f"http://hooks.example.com:{port}/hook")
        rec.secrets.append(secret)
        # The check gets a public address; any later lookup (the request's own, in the old code) gets
        # the receiver on loopback.
        given = fake_dns(monkeypatch, "hooks.example.com", lambda n: "93.184.216.34" if n == 0 else "127.0.0.1")
        ctx = Context(settings={**settings, "WEBHOOK_ALLOW_PRIVATE_NETWORKS": False,
                                "WEBHOOK_TIMEOUT_SECONDS": 1}, db=db)
        started = time.monotonic()
        outcome = webhook_channel.send(ctx, row)
        elapsed = time.monotonic() - started
        assert rec.requests == []  # nothing reached loopback
    assert given == ["93.184.216.34"]  # resolved once; the request went to that checked address
    # The public address is unreachable here (no internet): a connection error, retried later.
    assert outcome.state == "retry", outcome
    assert outcome.error.startswith("webhook request failed: ") and outcome.record["status_code"] is None
    assert elapsed < 4  # WEBHOOK_TIMEOUT_SECONDS=1 bounds it (slack for a loaded machine)


def test_host_that_does_not_resolve_at_send_time_is_retried(client, db, settings, parties, monkeypatch):
    row, _ = webhook_row(client, db, parties, "http://hooks.example.com/hook")

    def no_answer(n: int) -> str:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    fake_dns(monkeypatch, "hooks.example.com", no_answer)
    ctx = Context(settings={**settings, "WEBHOOK_ALLOW_PRIVATE_NETWORKS": False}, db=db)
    outcome = webhook_channel.send(ctx, row)
    assert outcome.state == "retry" and "did not resolve" in outcome.error, outcome
    assert outcome.record["error"] == outcome.error
    # Creating a webhook for such a host is still refused, with the same reason.
    with pytest.raises(UnsafeUrl, match="无法解析该主机名"):
        check_url("http://hooks.example.com/hook", allow_private=False)


# ------------------------------------------------------------------ a local TLS (or plain) receiver

class _Receiver(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, family: int, tls: ssl.SSLContext | None):
        self.address_family = family
        self.tls = tls
        self.got: list[dict] = []
        self.sni: list[str | None] = []  # the server name each TLS client asked for
        if tls is not None:
            tls.sni_callback = lambda conn, name, context: self.sni.append(name)
        super().__init__(address, _Handler)

    def finish_request(self, request, client_address):
        request.settimeout(5)
        if self.tls is None:
            return super().finish_request(request, client_address)
        with self.tls.wrap_socket(request, server_side=True) as conn:  # handshake in the request thread
            self.RequestHandlerClass(conn, client_address, self)

    def handle_error(self, request, client_address):
        pass  # a refused handshake is what some tests expect


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.got.append({"host": self.headers.get("Host"), "path": self.path,
                                "headers": dict(self.headers), "body": body})
        answer = json.dumps({"ok": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serving(host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> Iterator[_Receiver]:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server = _Receiver((host, 0), family, tls)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, Path]:
    """A throwaway CA and, signed by it, certificates for hooks.example.test and other.example.test."""
    out = tmp_path_factory.mktemp("pki")
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Smart315 test CA")])
    ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                            key_encipherment=False, data_encipherment=False, key_agreement=False,
                                            key_cert_sign=True, crl_sign=True, encipher_only=False,
                                            decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
               .sign(ca_key, hashes.SHA256()))
    paths = {"ca": out / "ca.pem"}
    paths["ca"].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    for name in ("hooks.example.test", "other.example.test"):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                               critical=False)
                .sign(ca_key, hashes.SHA256()))
        pem = out / f"{name}.pem"
        pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        paths[name] = pem
    return paths


def server_tls(pem: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem)
    return context


# ------------------------------------------------------------------ pinned HTTPS

def test_pinned_https_delivery_keeps_host_path_and_verifies_the_name(client, db, settings, parties, monkeypatch,
                                                                       pki):
    monkeypatch.setattr(webhook_channel, "CA_CERTS", str(pki["ca"]))
    with serving(tls=server_tls(pki["hooks.example.test"])) as server:
        port = server.server_address[1]
        row, secret = webhook_row(client, db, parties, f"https://hooks.example.test:{port}/in/hook?tenant=7&k=a%20b")
        given = fake_dns(monkeypatch, "hooks.example.test", lambda n: "127.0.0.1")
        outcome = webhook_channel.send(Context(settings=settings, db=db), row)  # private networks allowed
        assert outcome.state == "sent", outcome
        [got] = server.got
    assert given == ["127.0.0.1"]  # resolved once, by the check, even with private networks allowed
    assert server.sni == ["hooks.example.test"]  # SNI is the URL's name, not the address connected to
    assert got["host"] == f"hooks.example.test:{port}"
    assert got["path"] == "/in/hook?tenant=7&k=a%20b"
    assert verify_signature(secret, got["headers"]["X-Smart315-Signature"], got["body"])
    assert got["headers"]["X-Smart315-Event"] == row.event_type
    assert got["headers"]["X-Smart315-Delivery"] == row.payload["delivery_id"]
    assert got["headers"]["Content-Type"] == "application/json; charset=utf-8"
    assert got["headers"]["User-Agent"] == webhook_channel.USER_AGENT
    assert json.loads(got["body"])["id"] == row.payload["delivery_id"]
    assert outcome.record["status_code"] == 200 and outcome.record["response_excerpt"] == '{"ok": true}'


@pytest.mark.parametrize("cert, trust_test_ca", [("other.example.test", True),  # a valid cert, wrong name
                                                 ("hooks.example.test", False)])  # right name, unknown CA
def test_https_certificate_must_match_the_url_host_name(client, db, settings, parties, monkeypatch, pki, cert,
                                                         trust_test_ca):
    if trust_test_ca:
        monkeypatch.setattr(webhook_channel, "CA_CERTS", str(pki["ca"]))
    with serving(tls=server_tls(pki[cert])) as server:
        port = server.server_address[1]
        row, _ = webhook_row(client, db, parties, f"https://hooks.example.test:{port}/hook")
        fake_dns(monkeypatch, "hooks.example.test", lambda n: "127.0.0.1")
        outcome = webhook_channel.send(Context(settings=settings, db=db), row)
        assert server.got == []
    assert outcome.state == "retry" and outcome.error == "webhook request failed: SSLError", outcome
    assert outcome.record["status_code"] is None


# ------------------------------------------------------------------ IPv6

@pytest.mark.parametrize("host", ["hooks.example.test", "[::1]"])  # a name answering ::1, an IPv6 literal
def test_ipv6_address_is_used_as_the_pinned_host(client, db, settings, parties, monkeypatch, host):
    with serving("::1") as server:
        port = server.server_address[1]
        row, secret = webhook_row(client, db, parties, f"http://{host}:{port}/hook")
        fake_dns(monkeypatch, "hooks.example.test", lambda n: "::1")
        outcome = webhook_channel.send(Context(settings=settings, db=db), row)
        [got] = server.got
    assert outcome.state == "sent", outcome
    assert got["host"] == f"{host}:{port}"
    assert verify_signature(secret, got["headers"]["X-Smart315-Signature"], got["body"])
