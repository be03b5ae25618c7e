"""The account pages: register, sign in, sign out, and the account itself (profile and
order history, with cancelling an order that has not shipped). The signed-in user's id
and their identity session (visitor.py) are what Flask's signed, HttpOnly session cookie
holds."""
from __future__ import annotations

import logging
import uuid
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session

from shop.cart.v1 import cart_pb2
from shop.checkout.v1 import checkout_pb2
from shop.identity.v1 import identity_pb2

from frontend import account_views, backends, checkout_views
from frontend.account_views import AccountForm
from frontend.clients import BackendError, NotFound, Refused, ServiceUnavailable
from frontend.currencies import safe_next
from frontend.visitor import SESSION_JTI, sign_in, signed_in_user_id

log = logging.getLogger("frontend")

bp = Blueprint("account", __name__)

ACCOUNT_PATH = "/account"
ORDERS_PER_PAGE = 20


def login_url(next_path: str) -> str:
    return "/login?" + urlencode({"next": next_path}, safe="/")


def _after_sign_in(next_target: str) -> str:
    return safe_next(next_target) if next_target else ACCOUNT_PATH


def _renew_session_id() -> None:
    """Give the visitor a fresh anonymous session id (visitor.py sets the cookie after the
    request). An id someone planted in the browser before sign-in then names nothing
    this visitor does later: not the cart, not the orders placed as a guest."""
    g.session_id = str(uuid.uuid4())
    g.new_session = True


def _merge_guest_cart(user_id: str) -> tuple[bool, str | None]:
    """Move the anonymous cart into the user's: whether the cart service could, and what
    to tell the shopper about anything that did not fit."""
    try:
        merged = backends().cart.MergeCarts(cart_pb2.MergeCartsRequest(source_owner_id=f"guest:{g.session_id}",
                                                                       target_owner_id=user_id))
    except BackendError as error:
        log.warning("cart merge failed at sign-in", extra={"backend": error.service, "detail": error.message})
        return False, None
    if not merged.not_merged:
        return True, None
    left_out = [(item.product_id, item.quantity) for item in merged.not_merged]
    try:
        left_out = checkout_views.named_lines(backends(), left_out)
    except BackendError:
        pass  # the ids still tell the shopper what stayed out
    return True, account_views.not_merged_message(left_out)


def _sign_in(reply: identity_pb2.AuthenticateResponse) -> None:
    user_id = reply.user.id
    merged, left_out = _merge_guest_cart(user_id)
    # Against session fixation: nothing from before the sign-in survives it (the CSRF
    # token included); the session then holds the user and their identity session alone.
    session.clear()
    sign_in(user_id, reply.access_token.jti)
    if merged:
        _renew_session_id()
        if left_out:
            flash(left_out, "error")
    else:
        # Keep the anonymous id, so the items are still there after signing out.
        flash("You are signed in, but we could not bring over the items in your cart just now.", "error")


def _form_page(template: str, form: AccountForm, next_target: str, status: int = 200):
    return render_template(template, form=form, next=next_target), status


@bp.route("/register", methods=["GET", "POST"])
def register():
    next_target = request.values.get("next", "")
    if request.method == "GET":
        if signed_in_user_id():
            return redirect(_after_sign_in(next_target))
        return _form_page("account/register.html", AccountForm(), next_target)

    form = AccountForm.from_form(request.form)
    form.errors = form.missing("email", "display_name", "password")
    if form.errors:
        return _form_page("account/register.html", form, next_target, 400)
    try:
        user = backends().identity.Register(form.register_request()).user
    except Refused as refusal:
        status = account_views.register_refusal(form, refusal)
        return _form_page("account/register.html", form, next_target, status)
    try:
        signed_in = backends().identity.Authenticate(form.authenticate_request())
    except Refused:
        # The account exists; only signing in (a rate limit, say) failed.
        flash("Your account is ready. Please sign in.")
        return redirect(login_url(_after_sign_in(next_target)), 303)
    _sign_in(signed_in)
    flash(f"Welcome, {user.display_name}! Your account is ready.")
    return redirect(_after_sign_in(next_target), 303)


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_target = request.values.get("next", "")
    if request.method == "GET":
        if signed_in_user_id():
            return redirect(_after_sign_in(next_target))
        return _form_page("account/login.html", AccountForm(), next_target)

    form = AccountForm.from_form(request.form)
    form.errors = form.missing("email", "password")
    if form.errors:
        return _form_page("account/login.html", form, next_target, 400)
    try:
        reply = backends().identity.Authenticate(form.authenticate_request())
    except Refused as refusal:
        status = account_views.login_refusal(form, refusal)
        seconds = account_views.retry_after(refusal) if status == 429 else None
        headers = {"Retry-After": str(seconds)} if seconds else {}
        return render_template("account/login.html", form=form, next=next_target), status, headers
    _sign_in(reply)
    flash(f"Welcome back, {reply.user.display_name}.")
    return redirect(_after_sign_in(next_target), 303)


@bp.post("/logout")
def logout():
    user_id, jti = signed_in_user_id(), session.get(SESSION_JTI)
    if user_id and jti:  # identity's session ends too; the cookie's goes whatever it says
        try:
            backends().identity.Logout(identity_pb2.LogoutRequest(user_id=user_id, jti=jti))
        except BackendError as error:
            log.warning("could not end the identity session at sign-out",
                        extra={"backend": error.service, "detail": error.message})
    session.clear()
    _renew_session_id()
    flash("You are signed out.")
    return redirect("/", 303)


@bp.get(ACCOUNT_PATH)
def account():
    user_id = signed_in_user_id()
    if not user_id:
        return redirect(login_url(ACCOUNT_PATH))
    try:
        user = backends().identity.GetProfile(identity_pb2.GetProfileRequest(user_id=user_id)).user
    except NotFound:
        # The account was deleted since this session signed in.
        session.clear()
        flash("Please sign in again.", "error")
        return redirect(login_url(ACCOUNT_PATH))

    page_token = request.args.get("page", "")
    orders = next_page = None
    try:
        listing = backends().checkout.ListOrders(checkout_pb2.ListOrdersRequest(
            user_id=user_id, page_size=ORDERS_PER_PAGE, page_token=page_token))
    except ServiceUnavailable:
        pass  # the profile still shows; the page says the orders cannot
    except Refused:
        abort(400, "That page of orders does not exist.")
    else:
        orders = [account_views.order_row(order) for order in listing.orders]
        next_page = listing.next_page_token or None
    return render_template("account/account.html", profile=account_views.profile(user), orders=orders,
                           next_page=next_page, first_page=not page_token)


@bp.post("/account/orders/<order_id>/cancel")
def cancel_order(order_id: str):
    user_id = signed_in_user_id()
    if not user_id:
        return redirect(login_url(ACCOUNT_PATH))
    try:
        backends().checkout.CancelOrder(checkout_pb2.CancelOrderRequest(user_id=user_id, order_id=order_id))
    except Refused as refusal:
        flash(account_views.cancel_refusal_message(order_id, refusal), "error")
    else:
        flash(f"Order {order_id} is cancelled. Any payment for it is voided or refunded.")
    # NotFound (no such order, or someone else's) goes on to the 404 page.
    return redirect(safe_next(request.form.get("next") or ACCOUNT_PATH), 303)
