"""Mail the shop sends (address-verification links): by SMTP when ``CSPMS_SMTP_HOST`` is set (production),
else written as ``.eml`` files to ``<var_dir>/outbox/`` (the embedded profile: open them with a mail reader).
The files are owner-only, since a link in them is a credential until it is used."""

from __future__ import annotations

import os
import secrets
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Protocol

from manufacturing.accounts.errors import MailNotSentError
from manufacturing.clock import utc_now
from manufacturing.settings import Settings

_SMTP_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


class Outbox(Protocol):
    def send(self, mail: Mail) -> None: ...


def _message(mail: Mail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(utc_now())
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(mail.body)
    return message


@dataclass(frozen=True)
class FolderOutbox:
    """Each mail as one ``.eml`` file in ``folder``, named so they sort by time."""

    folder: Path
    sender: str

    def send(self, mail: Mail) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{utc_now():%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}.eml"
        tmp = self.folder / f".{name}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(_message(mail, self.sender).as_bytes())
        os.replace(tmp, self.folder / name)  # a reader never sees half a mail


@dataclass(frozen=True)
class SmtpOutbox:
    host: str
    port: int
    sender: str
    starttls: bool = True
    username: str = ""
    password: str = ""

    def send(self, mail: Mail) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=_SMTP_TIMEOUT_S) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(_message(mail, self.sender))
        except (OSError, smtplib.SMTPException) as exc:
            raise MailNotSentError(f"the mail to {mail.to} was not sent: {exc}", to=mail.to) from exc


def outbox_for(settings: Settings) -> Outbox:
    if settings.smtp_host:
        return SmtpOutbox(settings.smtp_host, settings.smtp_port, settings.smtp_from, settings.smtp_starttls,
                          settings.smtp_username, settings.smtp_password.get_secret_value())  # fmt: skip
    return FolderOutbox(outbox_folder(settings), settings.smtp_from)


def outbox_folder(settings: Settings) -> Path:
    return (settings.var_dir / "outbox").resolve()
