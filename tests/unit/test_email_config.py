"""emailservice's configuration: required variables, SMTP_URL and the sender, each
failure naming its variable; and the status code of every named error."""
from pathlib import Path

import grpc
import pytest

from emailservice import config, errors
from emailservice.config import SmtpSettings, parse_smtp_url
from emailservice.server import STATUS_BY_ERROR
from service_runtime.config import ConfigError, Env
from service_runtime.interceptors import status_for

REQUIRED = {"DATABASE_URL": "postgresql://shop@127.0.0.1:5432/email", "AMQP_URL": "amqp://shop:shop@127.0.0.1/"}


def test_defaults_follow_the_port_table_and_write_to_a_mail_directory():
    loaded = config.load(Env(REQUIRED))
    assert (loaded.runtime.grpc_port, loaded.runtime.http_port) == (50056, 8056)
    assert loaded.smtp is None and loaded.mail_dir == Path("mail")
    assert loaded.sender == "The Shop <orders@shop.example>" and loaded.shop_name == "The Shop"
    assert (loaded.retry_min, loaded.retry_max) == (5.0, 600.0)


def test_smtp_url_and_sender_are_read_when_given():
    loaded = config.load(Env({**REQUIRED, "SMTP_URL": "smtp://mailer:s3cret@mail.internal:2525",
                              "MAIL_FROM": "Acme Orders <orders@acme.test>", "MAIL_DIR": "/var/mail/shop"}))
    assert loaded.smtp == SmtpSettings("mail.internal", 2525, "mailer", "s3cret")
    assert loaded.sender == "Acme Orders <orders@acme.test>" and loaded.mail_dir == Path("/var/mail/shop")


@pytest.mark.parametrize("url, expected", [
    ("smtp://localhost", SmtpSettings("localhost", 25)),
    ("smtp://127.0.0.1:1025", SmtpSettings("127.0.0.1", 1025)),
    ("smtp://user%40example.com:p%3Ass%2Fw@smtp.example.com:587?starttls=always",
     SmtpSettings("smtp.example.com", 587, "user@example.com", "p:ss/w", start_tls=True)),
    ("smtp://relay:25?starttls=never", SmtpSettings("relay", 25, start_tls=False)),
    ("smtps://apikey:xyz@smtp.example.com", SmtpSettings("smtp.example.com", 465, "apikey", "xyz", use_tls=True)),
    ("smtp://user@relay", SmtpSettings("relay", 25, "user")),
])
def test_smtp_urls(url, expected):
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize("url, complaint", [
    ("http://mail.example.com", "smtp:// or smtps://"),
    ("smtp://", "must name a host"),
    ("smtp://mail.example.com:99999", "not a valid URL"),
    ("smtp://mail.example.com:port", "not a valid URL"),
    ("smtp://mail.example.com/inbox", "takes no path"),
    ("smtp://mail.example.com?tls=1", "unknown options: tls"),
    ("smtp://mail.example.com?starttls=maybe", "starttls must be one of"),
    ("smtps://mail.example.com?starttls=always", "smtp:// only"),
    ("smtp://:secret@mail.example.com", "password but no user"),
])
def test_bad_smtp_urls_are_refused_with_a_reason(url, complaint):
    with pytest.raises(ConfigError, match="SMTP_URL") as info:
        config.load(Env({**REQUIRED, "SMTP_URL": url}))
    assert complaint in str(info.value)


def test_the_smtp_password_never_shows_in_a_repr():
    assert "s3cret" not in repr(parse_smtp_url("smtp://mailer:s3cret@mail.internal"))


@pytest.mark.parametrize("environ, name", [
    ({"AMQP_URL": "amqp://x"}, "DATABASE_URL"),
    ({"DATABASE_URL": "postgresql://x"}, "AMQP_URL"),
    ({**REQUIRED, "MAIL_FROM": "not an address"}, "MAIL_FROM"),
    ({**REQUIRED, "MAIL_FROM": "Shop <orders@>"}, "MAIL_FROM"),
    ({**REQUIRED, "EMAIL_RETRY_MIN_SECONDS": "0"}, "EMAIL_RETRY_MIN_SECONDS"),
    ({**REQUIRED, "EMAIL_RETRY_MIN_SECONDS": "60", "EMAIL_RETRY_MAX_SECONDS": "10"}, "EMAIL_RETRY_MAX_SECONDS"),
    ({**REQUIRED, "SMTP_TIMEOUT_SECONDS": "soon"}, "SMTP_TIMEOUT_SECONDS"),
])
def test_bad_configuration_names_the_variable(environ, name):
    with pytest.raises(ConfigError, match=name):
        config.load(Env(environ))


@pytest.mark.parametrize("error, code", [
    (errors.InvalidArgument("x"), grpc.StatusCode.INVALID_ARGUMENT),
    (errors.EmailNotFound("x"), grpc.StatusCode.NOT_FOUND),
])
def test_every_named_error_the_servicer_can_raise_has_its_status(error, code):
    assert status_for(error, STATUS_BY_ERROR) == code
