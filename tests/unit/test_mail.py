"""Mail out (RULES 3: the report is emailed to the managers): HUIFANG_SMTP_URL forms,
RFC 2231 Chinese attachment names, real SMTP delivery and the .eml fallback."""

import email
import email.policy
import logging
import re
import shutil
import ssl
import subprocess

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from shared.core.mail import (
    InvalidSmtpUrl,
    MailError,
    SmtpSettings,
    build_message,
    parse_smtp_url,
    send_message,
)
from ops.infra import free_port
from testkit.servers import SmtpServer

PDF = b"%PDF-1.7\n% fake report\n" + bytes(range(256)) * 40
FILENAME = "顾客满意度测量报告-2026-10.pdf"
PASSWORD = "s3cr%t-pa55"  # percent-encoded in URLs as s3cr%25t-pa55
USER = "reports@acme.example"


def report_message(to=("manager@acme.example",)):
    return build_message(
        sender="huifang@acme.example",
        to=list(to),
        subject="顾客满意度测量报告 2026-10",
        body_text="您好,附件是2026年10月的顾客满意度测量报告。",
        attachments=[(FILENAME, PDF, "application/pdf")],
    )


def assert_is_report(raw: bytes):
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == "顾客满意度测量报告 2026-10"
    assert "顾客满意度测量报告" in parsed.get_body(("plain",)).get_content()
    (attachment,) = list(parsed.iter_attachments())
    assert attachment.get_filename() == FILENAME
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == PDF


# ------------------------------------------------------------------ parse_smtp_url


@pytest.mark.parametrize(
    "url, expected",
    [
        ("smtp://mail.local:2525", SmtpSettings("plain", "mail.local", 2525)),
        ("smtp://mail.local", SmtpSettings("plain", "mail.local", 25)),
        ("smtp+starttls://u:p@mail.example.com:587",
         SmtpSettings("starttls", "mail.example.com", 587, "u", "p")),
        ("smtp+starttls://u:p@mail.example.com", SmtpSettings("starttls", "mail.example.com", 587, "u", "p")),
        ("smtps://reports%40acme.example:s3cr%25t-pa55@smtp.example.com:465",
         SmtpSettings("ssl", "smtp.example.com", 465, USER, PASSWORD)),
        ("SMTPS://u:p@h", SmtpSettings("ssl", "h", 465, "u", "p")),
    ],
)
def test_smtp_url_forms(url, expected):
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        "http://u:s3cr3tpw@host:25",
        "smtp://",
        "smtp+starttls://u:s3cr3tpw@:587",
        "smtps://u:s3cr3tpw@host:notaport",
        "smtps://u:s3cr3tpw@host:99999",
        "smtp://u:s3cr3tpw@host:25/path",
        "smtp://:s3cr3tpw@host:25",
        "mail.example.com:25",
    ],
)
def test_bad_smtp_url_names_the_setting_and_hides_the_password(url):
    with pytest.raises(InvalidSmtpUrl) as error:
        parse_smtp_url(url)
    assert "HUIFANG_SMTP_URL" in str(error.value)
    assert "s3cr3tpw" not in str(error.value)
    assert error.value.__cause__ is None  # no chained exception repeats the URL
    assert isinstance(error.value, ValueError)


def test_settings_never_show_the_password():
    settings = parse_smtp_url("smtps://u:s3cr3tpw@h:465")
    assert "s3cr3tpw" not in repr(settings)
    assert settings.redacted_url() == "smtps://u:***@h:465"


# ------------------------------------------------------------------ build_message


def test_chinese_attachment_name_is_encoded_per_rfc_2231():
    raw = report_message().as_bytes()
    assert b"filename*=utf-8''%E9%A1%BE%E5%AE%A2" in raw
    assert re.search(rb"filename\*0\*?=", raw) is None  # one parameter, no continuations
    assert all(len(line) <= 998 for line in raw.split(b"\n"))
    base64_lines = [line for line in raw.split(b"\r\n") if re.fullmatch(rb"[A-Za-z0-9+/=]{8,}", line)]
    assert base64_lines and max(map(len, base64_lines)) <= 76  # RFC 2045
    assert_is_report(raw)


def test_message_needs_a_recipient_and_a_mime_type():
    with pytest.raises(MailError):
        build_message(sender="a@b.c", to=[], subject="s", body_text="b", attachments=[])
    with pytest.raises(MailError):
        build_message(sender="a@b.c", to=["d@e.f"], subject="s", body_text="b",
                      attachments=[("x.pdf", b"x", "pdf")])


# ------------------------------------------------------------------ .eml fallback


def test_no_smtp_url_writes_eml_into_outbox(tmp_path):
    outbox = tmp_path / "var" / "outbox"
    path = send_message(report_message(), smtp_url=None, outbox_dir=outbox)
    assert re.fullmatch(r"\d{8}T\d{12}Z-[0-9a-f]{32}\.eml", path.rsplit("/", 1)[1])
    assert [p.name for p in outbox.iterdir()] == [path.rsplit("/", 1)[1]]
    assert_is_report((outbox / path.rsplit("/", 1)[1]).read_bytes())


def test_empty_smtp_url_also_means_outbox(tmp_path):
    path = send_message(report_message(), smtp_url="", outbox_dir=tmp_path)
    assert path.endswith(".eml")


# ------------------------------------------------------------------ real SMTP


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode() == USER and auth_data.password.decode() == PASSWORD
    )
    return AuthResult(success=ok, handled=False)  # let the server answer 535


@pytest.fixture
def smtp_server():
    servers = []

    def start(**kwargs):
        server = SmtpServer(**kwargs).start()
        servers.append(server)
        return server.inbox, server.port

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem"),
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    client = ssl.create_default_context(cafile=str(folder / "cert.pem"))
    return server, client


def test_plain_smtp_delivers_report_with_pdf(smtp_server, tmp_path):
    inbox, port = smtp_server()
    message_id = send_message(report_message(["a@acme.example", "b@acme.example"]),
                              smtp_url=f"smtp://127.0.0.1:{port}", outbox_dir=tmp_path)
    (envelope,) = inbox.envelopes
    assert envelope.rcpt_tos == ["a@acme.example", "b@acme.example"]
    assert envelope.mail_from == "huifang@acme.example"
    assert_is_report(envelope.content)
    assert message_id.startswith("<") and message_id.encode() in envelope.content
    assert list(tmp_path.iterdir()) == []  # no .eml when SMTP is configured


def test_starttls_with_login_delivers(smtp_server, certificate, tmp_path, caplog):
    server_tls, client_tls = certificate
    inbox, port = smtp_server(tls_context=server_tls, require_starttls=True,
                              authenticator=authenticator, auth_required=True)
    caplog.set_level(logging.DEBUG, logger="shared.core.mail")
    url = f"smtp+starttls://reports%40acme.example:s3cr%25t-pa55@127.0.0.1:{port}"
    send_message(report_message(), smtp_url=url, outbox_dir=tmp_path, ssl_context=client_tls)
    (envelope,) = inbox.envelopes
    assert_is_report(envelope.content)
    assert PASSWORD not in caplog.text and "s3cr%25t" not in caplog.text


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtps_with_login_delivers(smtp_server, certificate, tmp_path):
    server_tls, client_tls = certificate
    inbox, port = smtp_server(ssl_context=server_tls, authenticator=authenticator,
                              auth_required=True, auth_require_tls=False)
    url = f"smtps://reports%40acme.example:s3cr%25t-pa55@127.0.0.1:{port}"
    send_message(report_message(), smtp_url=url, outbox_dir=tmp_path, ssl_context=client_tls)
    (envelope,) = inbox.envelopes
    assert_is_report(envelope.content)


def test_starttls_refuses_an_untrusted_certificate(smtp_server, certificate, tmp_path):
    server_tls, _ = certificate
    inbox, port = smtp_server(tls_context=server_tls, require_starttls=True)
    with pytest.raises(MailError):
        send_message(report_message(), smtp_url=f"smtp+starttls://127.0.0.1:{port}",
                     outbox_dir=tmp_path)
    assert inbox.envelopes == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_wrong_password_is_a_mail_error_without_the_password(smtp_server, tmp_path, caplog):
    inbox, port = smtp_server(authenticator=authenticator, auth_required=True,
                              auth_require_tls=False)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(MailError) as error:
        send_message(report_message(), smtp_url=f"smtp://{USER.replace('@', '%40')}:wr0ngpw@127.0.0.1:{port}",
                     outbox_dir=tmp_path)
    assert "HUIFANG_SMTP_URL" in str(error.value)
    assert "wr0ngpw" not in str(error.value) and "wr0ngpw" not in caplog.text
    assert inbox.envelopes == []


def test_unreachable_server_is_a_mail_error(tmp_path):
    with pytest.raises(MailError):
        send_message(report_message(), smtp_url=f"smtp://127.0.0.1:{free_port()}",
                     outbox_dir=tmp_path, timeout=2)
