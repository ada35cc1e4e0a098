"""Real mail servers on 127.0.0.1 for the email channel's tests: no test reaches the internet.

* ``smtp_server``: a factory of aiosmtpd servers (plain, STARTTLS or implicit TLS, with or
  without AUTH) that record what they receive and can be told to refuse recipients.
* ``dovecot``: Debian's dovecot-imapd, started once per test module with a throw-away
  configuration (passwd-file users, maildirs in a temporary directory, a free port, no
  SSL); ``imap_account`` gives each test a fresh mailbox user. Dovecot refuses to serve mail
  as root, so under root the server runs as ``nobody`` in a directory that user owns.
  Skipped, with the reason, when ``/usr/sbin/dovecot`` is not installed.
"""

from __future__ import annotations

import datetime
import grp
import ipaddress
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from imapclient import IMAPClient

DOVECOT = Path("/usr/sbin/dovecot")
USERS = 100  # mailboxes per Dovecot (one Dovecot per test module)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- TLS ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Certificates:
    ca_file: Path  # trust this (SSL_CERT_FILE) and the servers' certificate verifies
    cert_file: Path
    key_file: Path


@pytest.fixture(name="tls_certificates", scope="session")
def tls_certificates_fixture(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A throw-away CA and a certificate for 127.0.0.1 / localhost signed by it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder = tmp_path_factory.mktemp("tls")
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tingjian test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = Certificates(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    paths.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


# --- SMTP (aiosmtpd) ------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    tls: bool
    login: str


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list[Received] = field(default_factory=list)
    # Answer to RCPT TO instead of accepting, e.g. "550 5.1.1 User unknown".
    rcpt_reply: str = ""


class _Handler:
    def __init__(self, box: SmtpServer) -> None:
        self.box = box

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if self.box.rcpt_reply:
            return self.box.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else ""
        self.box.messages.append(
            Received(
                mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos),
                data=bytes(envelope.original_content or envelope.content), login=login,
                # session.ssl is set by STARTTLS only; implicit TLS shows on the transport.
                tls=session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
            )
        )
        return "250 2.0.0 Message accepted for delivery"


SmtpFactory = Callable[..., SmtpServer]


@pytest.fixture(name="smtp_server")
def smtp_server_fixture(tls_certificates: Certificates) -> Iterator[SmtpFactory]:
    """``smtp_server(tls="none"|"starttls"|"ssl", auth={"user": "password"})`` → a running server."""
    import ssl

    controllers: list[Controller] = []

    def start(*, tls: str = "none", auth: dict[str, str] | None = None) -> SmtpServer:
        box = SmtpServer(host="127.0.0.1", port=free_port())
        context = None
        if tls != "none":
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(tls_certificates.cert_file, tls_certificates.key_file)
        kwargs: dict[str, Any] = {"hostname": box.host, "port": box.port}
        if tls == "starttls":
            kwargs.update(tls_context=context, require_starttls=True)
        elif tls == "ssl":
            kwargs.update(ssl_context=context)
        if auth is not None:
            def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
                ok = isinstance(data, LoginPassword) and auth.get(data.login.decode()) == data.password.decode()
                return AuthResult(success=ok, handled=False, auth_data=data)

            # aiosmtpd counts only STARTTLS as TLS when deciding to offer AUTH.
            kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=tls == "starttls")
        controller = Controller(_Handler(box), **kwargs)
        controller.start()
        controllers.append(controller)
        return box

    yield start
    for controller in controllers:
        controller.stop()


# --- IMAP (Dovecot) -------------------------------------------------------------------------


@dataclass
class Dovecot:
    host: str
    port: int
    workdir: Path
    # All users are written before Dovecot starts: it notices a changed passwd-file by its
    # mtime, in whole seconds, so users added while it runs may fail to log in.
    accounts: list[tuple[str, str]] = field(default_factory=list)
    handed_out: int = 0

    def add_user(self) -> tuple[str, str]:
        """A mailbox user no test has used yet, with an empty INBOX: (user, password)."""
        if self.handed_out == len(self.accounts):
            raise RuntimeError(f"only {len(self.accounts)} test mailboxes were made; raise USERS in mailservers.py")
        self.handed_out += 1
        return self.accounts[self.handed_out - 1]

    def client(self, user: str, password: str) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(user, password)
        return client

    def log(self) -> str:
        path = self.workdir / "dovecot.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


_CONFIG = """\
base_dir = {work}/run
state_dir = {work}/state
log_path = {work}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = 1
first_valid_gid = 1
auth_failure_delay = 0
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {work}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {work}/passwd
  default_fields = uid={uid} gid={gid} home={work}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
  # No growing delay after the wrong-password test's failed login.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


@pytest.fixture(name="dovecot", scope="module")
def dovecot_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dovecot]:
    if not DOVECOT.exists():
        pytest.skip(f"Dovecot is not installed ({DOVECOT}): apt-get install dovecot-imapd to run the IMAP tests")
    # Dovecot never serves mail as root: under root it runs as nobody, in a directory that
    # nobody owns (pytest's temporary directories are closed to other users).
    as_root = os.geteuid() == 0
    account = pwd.getpwnam("nobody") if as_root else pwd.getpwuid(os.geteuid())
    workdir = Path(tempfile.mkdtemp(prefix="tingjian-dovecot-")) if as_root else tmp_path_factory.mktemp("dovecot")
    port = free_port()
    group_name = grp.getgrgid(account.pw_gid).gr_name
    accounts = [(f"customer{n}", secrets.token_hex(8)) for n in range(1, USERS + 1)]
    (workdir / "passwd").write_text("".join(f"{user}:{{PLAIN}}{password}::::::\n" for user, password in accounts))
    (workdir / "passwd").chmod(0o644)
    (workdir / "dovecot.conf").write_text(
        _CONFIG.format(work=workdir, user=account.pw_name, group=group_name, uid=account.pw_uid, gid=account.pw_gid, port=port)
    )
    for sub in ("run", "state", "mail"):
        (workdir / sub).mkdir()
    if as_root:
        for path in [workdir, *workdir.rglob("*")]:
            os.chown(path, account.pw_uid, account.pw_gid)
    server = Dovecot(host="127.0.0.1", port=port, workdir=workdir, accounts=accounts)
    process = subprocess.Popen(
        [str(DOVECOT), "-F", "-c", str(workdir / "dovecot.conf")],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        user=account.pw_uid if as_root else None, group=account.pw_gid if as_root else None,
        extra_groups=[] if as_root else None,
    )
    try:
        _wait_for_greeting(server, process)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if as_root:
            shutil.rmtree(workdir, ignore_errors=True)


def _wait_for_greeting(server: Dovecot, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dovecot exited with {process.returncode}:\n{server.log()}")
        try:
            with socket.create_connection((server.host, server.port), timeout=1) as connection:
                if connection.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"dovecot did not answer on {server.host}:{server.port}:\n{server.log()}")


@dataclass
class ImapAccount:
    server: Dovecot
    user: str
    password: str

    def client(self) -> IMAPClient:
        return self.server.client(self.user, self.password)

    def append(self, *mails: bytes, folder: str = "INBOX") -> None:
        client = self.client()
        try:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            for mail in mails:
                client.append(folder, mail)
        finally:
            client.logout()

    def config(self, **extra: Any) -> dict[str, Any]:
        """The email channel's settings for this account."""
        return {
            "address": "support@tingjian.test", "imap_host": self.server.host, "imap_port": self.server.port,
            "imap_user": self.user, "imap_ssl": False, **extra,
        }


@pytest.fixture(name="imap_account")
def imap_account_fixture(dovecot: Dovecot) -> ImapAccount:
    user, password = dovecot.add_user()
    return ImapAccount(server=dovecot, user=user, password=password)
