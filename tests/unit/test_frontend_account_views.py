"""The account pages' pure layer: forms, refusals at the right field, order rows."""
from datetime import datetime, timezone

import grpc
import pytest
from google.type import money_pb2

from frontend import account_views
from frontend.account_views import ACCOUNT_LOCKED, INVALID_CREDENTIALS, AccountForm
from frontend.clients import Refused
from shop.checkout.v1 import checkout_pb2
from shop.identity.v1 import identity_pb2

RULE = ("password is too short: a password needs 10 to 128 characters, at least 5 different characters, "
        "not containing the part of your email address before the @, and not a common password")


def refusal(code, message="", reason="", metadata=None, field=""):
    return Refused("identity", code, message, reason, metadata, field)


def test_a_form_is_read_trimmed_but_the_password_as_typed():
    form = AccountForm.from_form({"email": "  ada@example.com ", "display_name": " Ada ", "password": " pass word "})
    assert (form.email, form.display_name, form.password) == ("ada@example.com", "Ada", " pass word ")
    assert "pass word" not in repr(form)


def test_empty_required_fields_are_named_before_any_call():
    assert AccountForm(email="ada@example.com").missing("email", "password") == {"password": "Enter your password."}
    assert set(AccountForm().missing("email", "display_name", "password")) == {"email", "display_name", "password"}


def test_the_requests_carry_what_was_typed():
    form = AccountForm(email="ada@example.com", display_name="Ada", password="a-long-Passphrase-42")
    assert form.register_request() == identity_pb2.RegisterRequest(
        email="ada@example.com", display_name="Ada", password="a-long-Passphrase-42")
    assert form.authenticate_request() == identity_pb2.AuthenticateRequest(
        email="ada@example.com", password="a-long-Passphrase-42")


def test_a_taken_email_is_reported_at_the_email_field():
    form = AccountForm()
    status = account_views.register_refusal(form, refusal(grpc.StatusCode.ALREADY_EXISTS, "email taken", "EMAIL_TAKEN"))
    assert status == 409 and "already exists" in form.errors["email"] and not form.problem


def test_a_weak_password_is_reported_at_the_password_field_with_the_rule():
    form = AccountForm()
    status = account_views.register_refusal(form, refusal(grpc.StatusCode.INVALID_ARGUMENT, RULE, field="password"))
    assert status == 400 and form.errors["password"] == "P" + RULE[1:] + "."


def test_a_refusal_naming_no_field_of_the_form_goes_to_the_whole_form():
    form = AccountForm()
    account_views.register_refusal(form, refusal(grpc.StatusCode.INVALID_ARGUMENT, "something odd", field="roles"))
    assert form.problem == "Something odd." and not form.errors


def test_wrong_credentials_give_one_generic_message():
    form = AccountForm()
    status = account_views.login_refusal(form, refusal(grpc.StatusCode.UNAUTHENTICATED, "invalid email or password"))
    assert status == 401 and form.problem == INVALID_CREDENTIALS and not form.errors


def test_a_locked_account_is_told_so_and_not_that_the_password_is_wrong():
    form = AccountForm()
    status = account_views.login_refusal(form, refusal(grpc.StatusCode.PERMISSION_DENIED, "this account is locked",
                                                       "ACCOUNT_LOCKED"))
    assert status == 403 and form.problem == ACCOUNT_LOCKED and not form.errors
    assert "locked by the shop" in ACCOUNT_LOCKED


def test_a_malformed_email_at_sign_in_is_reported_at_the_email_field():
    form = AccountForm()
    status = account_views.login_refusal(form, refusal(grpc.StatusCode.INVALID_ARGUMENT, "email is not valid",
                                                       field="email"))
    assert status == 400 and form.errors == {"email": "Email is not valid."}


@pytest.mark.parametrize("reason, start", [("TOO_MANY_ATTEMPTS", "Too many failed sign-in attempts"),
                                           ("TOO_MANY_REQUESTS", "Too many sign-in attempts from your network")])
def test_too_many_attempts_say_when_to_try_again(reason, start):
    form = AccountForm()
    locked = refusal(grpc.StatusCode.RESOURCE_EXHAUSTED, "locked", reason, {"retry_after_seconds": "840"})
    assert account_views.login_refusal(form, locked) == 429
    assert form.problem.startswith(start) and form.problem.endswith("Please try again in 14 minutes.")
    assert account_views.retry_after(locked) == 840


def test_a_lock_without_a_usable_wait_still_says_to_come_back():
    form = AccountForm()
    account_views.login_refusal(form, refusal(grpc.StatusCode.RESOURCE_EXHAUSTED, "locked", "TOO_MANY_ATTEMPTS",
                                              {"retry_after_seconds": "soon"}))
    assert form.problem.endswith("Please try again later.")


@pytest.mark.parametrize("seconds, phrase", [(0, "in 1 second"), (1, "in 1 second"), (45, "in 45 seconds"),
                                             (60, "in 1 minute"), (61, "in 2 minutes"), (900, "in 15 minutes")])
def test_wait_phrases(seconds, phrase):
    assert account_views.wait_phrase(seconds) == phrase


def order(status, **fields):
    placed = checkout_pb2.Order(id="ord_1", status=status, total=money_pb2.Money(currency_code="EUR", units=12),
                                lines=[checkout_pb2.OrderLine(quantity=2), checkout_pb2.OrderLine(quantity=1)], **fields)
    placed.create_time.FromDatetime(datetime(2025, 3, 7, 23, 30, tzinfo=timezone.utc))
    return placed


def test_an_order_row_says_what_a_customer_reads():
    row = account_views.order_row(order(checkout_pb2.ORDER_STATUS_PAID))
    assert (row.id, row.placed_on, row.status, row.item_count, row.total.units) == ("ord_1", "7 March 2025", "Paid", 3, 12)


@pytest.mark.parametrize("status, cancellable", [
    (checkout_pb2.ORDER_STATUS_PLACED, True), (checkout_pb2.ORDER_STATUS_PAID, True),
    (checkout_pb2.ORDER_STATUS_SHIPPED, False), (checkout_pb2.ORDER_STATUS_PAYMENT_FAILED, False),
    (checkout_pb2.ORDER_STATUS_CANCELLED, False), (checkout_pb2.ORDER_STATUS_REFUNDED, False)])
def test_only_orders_that_have_not_shipped_can_be_cancelled(status, cancellable):
    assert account_views.order_row(order(status)).cancellable is cancellable


def test_the_profile_lists_roles_in_order():
    user = identity_pb2.User(email="ada@example.com", display_name="Ada", roles=["customer", "admin"])
    assert account_views.profile(user) == account_views.Profile("ada@example.com", "Ada", ["admin", "customer"])


def test_a_refused_cancellation_reads_as_a_sentence():
    shipped = Refused("checkout", grpc.StatusCode.FAILED_PRECONDITION, "order ord_1 is shipped and can no longer be cancelled")
    assert account_views.cancel_refusal_message("ord_1", shipped) == "Order ord_1 is shipped and can no longer be cancelled."
