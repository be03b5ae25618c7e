"""The cart, checkout and order pages. Views translate a request into a call of
checkout_views (or the cart service) and back, and nothing else."""
from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

from flask import Blueprint, current_app, flash, g, jsonify, redirect, render_template, request, session, url_for

from service_runtime import deadlines
from shop.cart.v1 import cart_pb2
from shop.checkout.v1 import checkout_pb2

from frontend import backends, checkout_views as views, promotions, suggestions
from frontend.clients import NotFound, Refused, ServiceUnavailable
from frontend.together import together
from frontend.visitor import owner_id

bp = Blueprint("cart", __name__)


# PlaceOrder does the most work of any call (five services); it gets a longer deadline
# (service_runtime.deadlines.budget), and a retry after a timeout is safe because it
# carries the form's request id.
PLACE_ORDER = f"/{checkout_pb2.DESCRIPTOR.services_by_name['CheckoutService'].full_name}/PlaceOrder"
# The session key naming the order just placed: its page says thank you, however far the
# order got before the page was drawn (payment can be quicker than the redirect).
JUST_PLACED = "just_placed"


@bp.after_request
def _not_stored(response):
    """The cart, checkout and order pages carry a shopper's address, order and payment
    form: no browser or proxy keeps a copy."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _cart_page(form: views.CheckoutForm, problem: views.Problem | None = None, status: int = 200):
    cart = views.load_cart(backends(), owner_id(), g.currency, form.address())
    g.cart_count = sum(line.quantity for line in cart.lines)  # the header's count, without asking again
    offers, suggested = together(
        lambda: promotions.banners(backends().catalog, cart.categories) if cart.lines and not cart.coupon_code else [],
        lambda: suggestions.suggested(backends(), g.currency, product_ids=[line.product_id for line in cart.lines],
                                      user_id=owner_id()) if cart.lines else None)
    return render_template("cart/cart.html", cart=cart, form=form, problem=problem or views.Problem(200, ""),
                           test_cards=views.TEST_CARDS, promotions=offers, suggestions=suggested), status


@bp.get("/cart")
def show():
    return _cart_page(views.demo_form(date.today(), uuid.uuid4().hex))


def _change_cart(call, done: str) -> None:
    """Run one cart change; a refusal (too many units, a product the shop no longer
    sells) becomes a message for the visitor instead of an error page."""
    try:
        call()
    except Refused as refused:
        flash(f"We could not change your cart: {refused.message}.", "error")
    except NotFound:
        flash("That product is not in the shop any more.", "error")
    else:
        flash(done)


def _back_to_cart():
    return redirect(url_for("cart.show"), code=303)


@bp.post("/cart/items")
def add_item():
    product_id = request.form.get("product_id", "").strip()
    quantity = views.parse_quantity(request.form.get("quantity", "1"), minimum=1)
    if not product_id or quantity is None:
        flash(f"Choose a quantity from 1 to {views.MAX_QUANTITY}.", "error")
        return _back_to_cart()
    _change_cart(lambda: backends().cart.AddItem(cart_pb2.AddItemRequest(
        owner_id=owner_id(), product_id=product_id, quantity=quantity)), "Added to your cart.")
    return _back_to_cart()


@bp.post("/cart/items/<product_id>")
def set_quantity(product_id: str):
    quantity = views.parse_quantity(request.form.get("quantity"), minimum=0)
    if quantity is None:
        flash(f"Choose a quantity from 0 (to remove it) to {views.MAX_QUANTITY}.", "error")
        return _back_to_cart()
    _change_cart(lambda: backends().cart.SetItemQuantity(cart_pb2.SetItemQuantityRequest(
        owner_id=owner_id(), product_id=product_id, quantity=quantity)),
        "Removed from your cart." if quantity == 0 else "Quantity updated.")
    return _back_to_cart()


@bp.post("/cart/items/<product_id>/remove")
def remove_item(product_id: str):
    _change_cart(lambda: backends().cart.RemoveItem(cart_pb2.RemoveItemRequest(
        owner_id=owner_id(), product_id=product_id)), "Removed from your cart.")
    return _back_to_cart()


@bp.post("/cart/coupon")
def apply_coupon():
    code = request.form.get("coupon_code", "").strip()
    if not code:
        flash("Type a coupon code first.", "error")
        return _back_to_cart()
    try:
        cart = backends().cart.ApplyCoupon(cart_pb2.ApplyCouponRequest(
            owner_id=owner_id(), coupon_code=code, currency_code=g.currency)).cart
    except Refused as refused:
        flash(f"{views.sentence(refused.message)} Your cart is as it was.", "error")
    else:
        flash(f"The code {cart.coupon_code} is applied.")
    return _back_to_cart()


@bp.post("/cart/coupon/remove")
def remove_coupon():
    _change_cart(lambda: backends().cart.RemoveCoupon(cart_pb2.RemoveCouponRequest(owner_id=owner_id())),
                 "The code is removed.")
    return _back_to_cart()


@bp.post("/cart/empty")
def empty():
    _change_cart(lambda: backends().cart.EmptyCart(cart_pb2.EmptyCartRequest(owner_id=owner_id())),
                 "Your cart is empty.")
    return _back_to_cart()


@bp.post("/checkout")
def checkout():
    form = views.CheckoutForm.from_mapping(request.form)
    if not form.request_id:
        form = replace(form, request_id=uuid.uuid4().hex)
    problem = views.local_problem(form)
    if problem is None:
        timeout = deadlines.budget(PLACE_ORDER, current_app.config["SHOP"].rpc_timeout)
        try:
            order = views.place_order(backends(), form, owner_id(), g.currency, timeout)
        except Refused as refused:
            problem = views.problem_for(refused)
        else:
            session[JUST_PLACED] = order.id  # the order page thanks the shopper once
            return redirect(url_for("cart.order", order_id=order.id), code=303)
    return _cart_page(form.kept_for_retry(), problem, problem.status)


def _order(order_id: str):
    try:
        return views.get_order(backends(), owner_id(), order_id)
    except Refused as refused:  # an id checkout cannot even read is an order that does not exist
        raise NotFound("checkout", refused.message) from None


@bp.get("/orders/<order_id>")
def order(order_id: str):
    found = _order(order_id)
    just_placed = session.get(JUST_PLACED) == order_id
    if just_placed:
        session.pop(JUST_PLACED)
    suggested = suggestions.suggested(backends(), g.currency, product_ids=[line.product_id for line in found.lines],
                                      user_id=owner_id())
    return render_template("cart/order.html", order=found, status=views.order_status(found), just_placed=just_placed,
                           suggestions=suggested)


@bp.get("/orders/<order_id>/status")
def order_status(order_id: str):
    """What order-status.js polls; errors answer in JSON too, so the script can go on."""
    try:
        found = _order(order_id)
    except NotFound:
        return jsonify(error="not found"), 404
    except ServiceUnavailable:
        return jsonify(error="unavailable"), 503
    return jsonify(views.order_status(found))
