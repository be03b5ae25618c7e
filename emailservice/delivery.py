"""Where emails go: an SMTP server (SMTP_URL), or else one .eml file per email in the
mail directory. Both raise DeliveryFailed, permanent only when trying again cannot help."""
from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

import aiosmtplib

from service_runtime import fault_flags

from emailservice.config import SmtpSettings
from emailservice.errors import DeliveryFailed
from emailservice.mime import message_bytes, sender_address
from emailservice.records import EmailRecord


def eml_name(email: EmailRecord) -> str:
    """The file of an email: sortable by time, and the same on every attempt, so a
    repeated delivery replaces the file instead of adding a second one."""
    return f"{email.created_at:%Y%m%dT%H%M%S}-{email.id}.eml"


class MailDirDelivery:
    def __init__(self, directory: Path):
        self._directory = directory

    async def deliver(self, email: EmailRecord) -> None:
        try:
            await asyncio.to_thread(self._write, eml_name(email), message_bytes(email))
        except OSError as exc:
            raise DeliveryFailed(f"cannot write to the mail directory {self._directory}: {exc}") from None

    def _write(self, name: str, data: bytes) -> None:
        """Write to a hidden temporary file in the same directory, flush it to disk, then
        rename it into place: a reader sees the whole file or none of it."""
        self._directory.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self._directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self._directory / name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        directory = os.open(self._directory, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself survives a crash
        finally:
            os.close(directory)


def is_permanent_refusal(exc: aiosmtplib.SMTPException) -> bool:
    """A 5xx refusal of the recipient or of the message itself. Everything else (the
    server away, 4xx, a refused login) may pass, so it is retried."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(r.code >= 500 for r in exc.recipients)
    if isinstance(exc, (aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPDataError)):
        return exc.code >= 500
    return False


class SmtpDelivery:
    def __init__(self, settings: SmtpSettings, *, timeout: float):
        self._settings = settings
        self._timeout = timeout

    async def deliver(self, email: EmailRecord) -> None:
        s = self._settings
        try:
            await asyncio.wait_for(
                aiosmtplib.send(
                    message_bytes(email), sender=sender_address(email.sender), recipients=[email.recipient],
                    hostname=s.host, port=s.port, username=s.username or None, password=s.password or None,
                    use_tls=s.use_tls, start_tls=s.start_tls, timeout=self._timeout,
                ),
                self._timeout,
            )
        except aiosmtplib.SMTPException as exc:
            raise DeliveryFailed(f"SMTP delivery through {s.host}:{s.port} failed: {exc}",
                                 permanent=is_permanent_refusal(exc)) from None
        except (OSError, asyncio.TimeoutError) as exc:
            raise DeliveryFailed(
                f"cannot reach the mail server {s.host}:{s.port}: {exc.__class__.__name__} {exc}"
            ) from None


class FaultFlagged:
    """A delivery that fails, as one to a mail server that is away would, while the
    emailFailure fault flag is on (docs/fault-flags.md): the emails wait and are retried
    on their schedule, and go once it is off."""

    def __init__(self, inner):
        self._inner = inner

    async def deliver(self, email: EmailRecord) -> None:
        if fault_flags.value("emailFailure"):
            fault_flags.applied("emailFailure", f"delivery of email {email.id} failed")
            raise DeliveryFailed("cannot reach the mail server: connection refused (the emailFailure fault flag)")
        await self._inner.deliver(email)
