#!/usr/bin/env python3
"""A real SMTP server for the email notifier tests, built on aiosmtpd.

Usage: smtp_server.py DIR

Makes a self-signed certificate for 127.0.0.1 in DIR (openssl req), then listens on three
loopback ports chosen by the kernel (port 0):
  starttls: STARTTLS required before anything else, AUTH (PLAIN/LOGIN) required, over TLS only
  smtps:    TLS from the first byte, AUTH required
  plain:    no TLS offered, no AUTH
and prints one line "PORTS <starttls> <smtps> <plain>" once all three listen. The user is
"tocsin" with password "s3cret-pw". Recipients whose local part starts with "reject" get
550, with "tempfail" 451. Each accepted message is stored as DIR/<n>.eml (raw) and DIR/<n>.json
(envelope plus headers and parts as parsed by Python's email package). Exits when stdin closes
(the test process ended) or after 300 s, whichever comes first.
"""
import asyncio
import email
import email.header
import email.policy
import json
import os
import ssl
import subprocess
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

USER = b"tocsin"
PASSWORD = b"s3cret-pw"


def authenticator(server, session, envelope, mechanism, auth_data):
    if isinstance(auth_data, LoginPassword) and auth_data.login == USER and auth_data.password == PASSWORD:
        return AuthResult(success=True)
    return AuthResult(success=False, handled=False)


def raw_header(raw, name):
    """The header as it was sent, folding kept, so tests can check the encoding itself."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    marker = b"\r\n" + name + b": "
    start = head.find(marker)
    if start < 0:
        return ""
    value = head[start + len(marker):]
    end = 0
    while True:
        end = value.find(b"\r\n", end)
        if end < 0 or value[end + 2:end + 3] not in (b" ", b"\t"):
            break
        end += 2
    return (value if end < 0 else value[:end]).decode("ascii", "replace")


class Store:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 <%s>: recipient unknown" % address
        if local.startswith("tempfail"):
            return "451 4.3.0 <%s>: try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.directory, str(self.count))
        raw = envelope.original_content or envelope.content
        with open(base + ".eml", "wb") as f:
            f.write(raw)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        parts = []
        for part in message.walk():
            if part.is_multipart():
                continue
            parts.append({
                "content_type": part.get_content_type(),
                "charset": part.get_content_charset() or "",
                "transfer_encoding": part.get("Content-Transfer-Encoding", ""),
                "text": part.get_content(),
            })
        summary = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "authenticated": bool(session.authenticated),
            "content_type": message.get_content_type(),
            "headers": {k: str(v) for k, v in message.items()},
            "raw_subject": raw_header(raw, b"Subject"),
            "defects": [type(d).__name__ for d in message.defects],
            "parts": parts,
        }
        with open(base + ".json.tmp", "w") as f:
            json.dump(summary, f)
        os.rename(base + ".json.tmp", base + ".json")
        return "250 2.0.0 Ok: queued as %d" % self.count


async def main(directory):
    # aiosmtpd warns about AUTH without STARTTLS on the smtps port, which is TLS all along.
    warnings.simplefilter("ignore")
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    store = Store(directory)
    loop = asyncio.get_running_loop()

    starttls = await loop.create_server(
        lambda: SMTP(store, hostname="127.0.0.1", tls_context=context, require_starttls=True,
                     authenticator=authenticator, auth_required=True, auth_require_tls=True),
        "127.0.0.1", 0)
    smtps = await loop.create_server(
        lambda: SMTP(store, hostname="127.0.0.1", authenticator=authenticator, auth_required=True,
                     auth_require_tls=False),
        "127.0.0.1", 0, ssl=context)
    plain = await loop.create_server(lambda: SMTP(store, hostname="127.0.0.1"), "127.0.0.1", 0)
    ports = [s.sockets[0].getsockname()[1] for s in (starttls, smtps, plain)]
    print("PORTS %d %d %d" % tuple(ports), flush=True)

    stdin_closed = loop.create_future()
    loop.add_reader(sys.stdin.fileno(), lambda: stdin_closed.done() or (
        sys.stdin.buffer.read1(4096) or stdin_closed.set_result(True)))
    try:
        await asyncio.wait_for(stdin_closed, timeout=300)
    except asyncio.TimeoutError:
        pass


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
