"""Which SMTP refusals are for good (the email is given up) and which may pass (it is
retried)."""
import aiosmtplib
import pytest

from emailservice.delivery import is_permanent_refusal


@pytest.mark.parametrize("error, permanent", [
    (aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(550, "no such user", "a@b.c")]), True),
    (aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(452, "mailbox full", "a@b.c")]), False),
    (aiosmtplib.SMTPRecipientRefused(553, "mailbox name not allowed", "a@b.c"), True),
    (aiosmtplib.SMTPDataError(554, "message rejected as spam"), True),
    (aiosmtplib.SMTPDataError(451, "try again later"), False),
    (aiosmtplib.SMTPAuthenticationError(535, "bad credentials"), False),
    (aiosmtplib.SMTPSenderRefused(550, "sender not allowed", "orders@shop.example"), False),
    (aiosmtplib.SMTPConnectError("connection refused"), False),
    (aiosmtplib.SMTPServerDisconnected("gone"), False),
])
def test_only_a_5xx_refusal_of_the_recipient_or_the_messageis_permanent_refusal(error, permanent):
    assert is_permanent_refusal(error) is permanent
