"""The outbox: the embedded profile writes owner-only .eml files to <var_dir>/outbox; with CSPMS_SMTP_HOST the
mail goes to that server (here a real SMTP server on localhost: the standard library's smtpd while it
exists); a server that cannot be reached is a typed error."""

import socket
import stat
import threading
import warnings
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from manufacturing.accounts.errors import MailNotSentError
from manufacturing.accounts.outbox import FolderOutbox, Mail, SmtpOutbox, outbox_folder, outbox_for
from manufacturing.settings import Settings

MAIL = Mail("walker@example.com", "Confirm your e-mail address", "Open https://shop.example/x to confirm.\n")


def test_the_embedded_profile_writes_each_mail_to_the_outbox_folder(settings: Settings) -> None:
    outbox = outbox_for(settings)
    assert isinstance(outbox, FolderOutbox) and outbox.folder == settings.var_dir.resolve() / "outbox"
    outbox.send(MAIL)
    outbox.send(MAIL)
    files = sorted(outbox_folder(settings).iterdir())
    assert len(files) == 2 and all(f.suffix == ".eml" for f in files)
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600  # a link in it is a credential
    message = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert message["To"] == "walker@example.com" and message["From"] == settings.smtp_from
    assert message["Subject"] == MAIL.subject and message.get_content() == MAIL.body


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, list[tuple[str, list[str], bytes]]]]:
    """A real SMTP server on a free localhost port, collecting (sender, recipients, message)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        smtpd = pytest.importorskip("smtpd", reason="the standard library's smtpd is gone (Python 3.12+)")
        import asyncore
    received: list[tuple[str, list[str], bytes]] = []

    class Collector(smtpd.SMTPServer):  # type: ignore[misc,name-defined]
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):  # type: ignore[no-untyped-def]
            received.append((mailfrom, rcpttos, data))

    server = Collector(("127.0.0.1", 0), None, decode_data=False)
    port = server.socket.getsockname()[1]
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            asyncore.loop(timeout=0.05, count=1)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield port, received
    stop.set()
    thread.join(timeout=5)
    server.close()


def test_with_an_smtp_host_the_mail_goes_to_the_server(settings: Settings, smtp_server) -> None:
    port, received = smtp_server
    production = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False,
                                             "smtp_from": "shop@shop.example"})  # fmt: skip
    outbox = outbox_for(production)
    assert isinstance(outbox, SmtpOutbox)
    outbox.send(MAIL)
    ((sender, recipients, data),) = received
    assert sender == "shop@shop.example" and recipients == ["walker@example.com"]
    assert message_from_bytes(data, policy=policy.default).get_content().strip() == MAIL.body.strip()
    assert not outbox_folder(settings).exists()


def test_an_unreachable_mail_server_is_a_typed_error(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(MailNotSentError, match=r"walker@example\.com"):
        SmtpOutbox("127.0.0.1", port, "shop@shop.example", starttls=False).send(MAIL)
