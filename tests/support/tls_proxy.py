"""HTTPS in front of the local stack, for clients that insist on https (PagerDuty's): a throwaway
certificate for 127.0.0.1, and every request passed on over plain HTTP."""

import ipaddress
import ssl
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from stormwatch.local.snstest import self_signed_certificate


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    constraints = x509.BasicConstraints(ca=True, path_length=None)
    certificate = self_signed_certificate(
        key, "127.0.0.1", timedelta(days=1), [(san, False), (constraints, True)]
    )
    certificate_file, key_file = directory / "proxy.pem", directory / "proxy.key"
    certificate_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return certificate_file, key_file


@contextmanager
def https_proxy(target: str, directory: Path) -> Iterator[tuple[str, ssl.SSLContext]]:
    """Yields the proxy's https URL and a client context that trusts its certificate."""
    certificate_file, key_file = self_signed(directory)

    class Forward(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            request = urllib.request.Request(target + self.path, data=body, method="POST")
            for name in ("Content-Type", "Authorization", "User-Agent"):
                if self.headers.get(name):
                    request.add_header(name, self.headers[name])
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    status, answer, kind = (
                        response.status,
                        response.read(),
                        response.headers.get("Content-Type"),
                    )
            except urllib.error.HTTPError as error:
                status, answer, kind = error.code, error.read(), error.headers.get("Content-Type")
            self.send_response(status)
            self.send_header("Content-Type", kind or "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(certificate_file, key_file)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield (
            f"https://127.0.0.1:{server.server_address[1]}",
            ssl.create_default_context(cafile=str(certificate_file)),
        )
    finally:
        server.shutdown()
        server.server_close()
