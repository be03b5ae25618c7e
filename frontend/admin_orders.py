"""The back office's orders (/admin/orders): every order, filtered by status, email and the
days it was placed; each order's page with its status history (from the lifecycle events
checkout handled), its payment, its shipment and the emails sent about it; and cancel,
which voids or refunds the payment through the order's events. For admins only, as the rest
of /admin; checkout records each cancel in its audit log (decision 0013)."""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, abort, flash, redirect, render_template, request

from shop.checkout.v1 import checkout_pb2
from shop.email.v1 import email_pb2
from shop.payment.v1 import payment_pb2
from shop.shipping.v1 import shipping_pb2

from frontend import admin_order_views as views
from frontend import backends, back_office
from frontend.clients import BackendError, NotFound, Refused

bp = Blueprint("admin_orders", __name__, url_prefix="/admin/orders")
bp.before_request(back_office.admins_only)
bp.after_request(back_office.never_cached)

PAGE_SIZE = 25


@bp.get("")
def orders():
    filters = views.Filters.from_args(request.args)
    page_token = request.args.get("page", "")
    found = None
    if not filters.problem:
        try:
            found = backends().checkout.ListAllOrders(filters.request(PAGE_SIZE, page_token))
        except Refused as refused:
            filters.problem = refused.message
    status = 400 if filters.problem else 200
    return render_template("admin/orders.html", filters=filters, statuses=views.STATUSES, found=found,
                           first_page=not page_token, views=views, status_of=checkout_pb2.OrderStatus), status


def _part(call):
    """One part of the order's page from another service: its reply, or None when it
    cannot be read now (the page shows what it has and says which part is missing)."""
    try:
        return call()
    except NotFound:
        return False
    except BackendError:
        return None


@bp.get("/<order_id>")
def order(order_id: str):
    try:
        reply = backends().checkout.GetAnyOrder(checkout_pb2.GetAnyOrderRequest(order_id=order_id))
    except (NotFound, Refused):
        abort(404)
    found = reply.order
    payment = _part(lambda: backends().payment.GetPayment(
        payment_pb2.GetPaymentRequest(order_id=found.id)).payment)
    shipment = _part(lambda: backends().shipping.TrackShipment(
        shipping_pb2.TrackShipmentRequest(tracking_id=found.tracking_id)).shipment) if found.tracking_id else False
    emails = _part(lambda: backends().email.ListSentEmails(
        email_pb2.ListSentEmailsRequest(order_id=found.id, page_size=100)).emails)
    return render_template("admin/order.html", order=found, history=reply.history, payment=payment,
                           shipment=shipment, emails=emails, views=views, cancellable=views.cancellable(found),
                           status_of=checkout_pb2.OrderStatus, payment_status=payment_pb2.PaymentStatus,
                           card_brand=payment_pb2.CardBrand, shipment_status=shipping_pb2.ShipmentStatus,
                           email_kind=email_pb2.EmailKind)


@bp.post("/<order_id>/cancel")
def cancel(order_id: str):
    reason = request.form.get("reason", "").strip()
    try:
        cancelled = backends().checkout.CancelAnyOrder(checkout_pb2.CancelAnyOrderRequest(
            order_id=order_id, reason=reason)).order
    except NotFound:
        abort(404)
    except Refused as refused:
        flash(f"The order was not cancelled: {refused.message}.", "error")
        return redirect(f"/admin/orders/{quote(order_id)}", 303)
    back_office.admin_action("cancel order", order_id=order_id, reason=reason)
    flash(f"Order {order_id} is {views.label(checkout_pb2.OrderStatus, cancelled.status).lower()}: its payment is "
          "voided, or refunded if it was taken, as the events arrive.")
    return redirect(f"/admin/orders/{quote(order_id)}", 303)
