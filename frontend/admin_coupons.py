"""The back office's coupons (/admin/coupons): every live code with its rules and
redemptions, a form that adds one, and ending one (orders that used it keep their
discount). The catalog checks every rule and records each change in its audit log
(decisions 0013 and 0016). For admins only, as the rest of /admin."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timezone
from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request

from service_runtime import protomoney
from service_runtime.prototime import to_timestamp
from shop.catalog.v1 import catalog_pb2, coupons_pb2

from frontend import backends, back_office
from frontend.admin_order_views import day
from frontend.clients import NotFound, Refused

bp = Blueprint("admin_coupons", __name__, url_prefix="/admin/coupons")
bp.before_request(back_office.admins_only)
bp.after_request(back_office.never_cached)

_AMOUNT = re.compile(r"\d{1,7}(\.\d{1,2})?")
_WHOLE = re.compile(r"\d{1,7}")


@dataclass
class CouponForm:
    """What an admin typed, as the form shows it again; `errors` by field. Pure."""
    code: str = ""
    kind: str = "percent"          # "percent" or "amount"
    value: str = ""
    currency: str = "USD"
    min_subtotal: str = ""
    categories: list[str] = field(default_factory=list)
    valid_from: str = ""           # YYYY-MM-DD, UTC
    valid_until: str = ""          # YYYY-MM-DD, UTC, the last day it works
    per_customer_limit: str = "0"
    total_limit: str = "0"
    banner: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_form(cls, form) -> "CouponForm":
        typed = cls(code=form.get("code", "").strip().upper(), kind=form.get("kind", "percent"),
                    value=form.get("value", "").strip(), currency=form.get("currency", "USD").strip().upper(),
                    min_subtotal=form.get("min_subtotal", "").strip(),
                    categories=sorted(set(form.getlist("categories"))),
                    valid_from=form.get("valid_from", "").strip(), valid_until=form.get("valid_until", "").strip(),
                    per_customer_limit=form.get("per_customer_limit", "0").strip() or "0",
                    total_limit=form.get("total_limit", "0").strip() or "0", banner=form.get("banner", "").strip())
        if typed.kind not in ("percent", "amount"):
            typed.errors["kind"] = "Choose a percentage or an amount off."
        elif typed.kind == "percent" and not (_WHOLE.fullmatch(typed.value) and 1 <= int(typed.value) <= 100):
            typed.errors["value"] = "A percentage off is a whole number from 1 to 100."
        elif typed.kind == "amount" and not (_AMOUNT.fullmatch(typed.value) and Decimal(typed.value) > 0):
            typed.errors["value"] = "An amount off is more than 0, like 5.00."
        if typed.min_subtotal and not _AMOUNT.fullmatch(typed.min_subtotal):
            typed.errors["min_subtotal"] = "A minimum is an amount like 50.00, or empty for none."
        for name in ("per_customer_limit", "total_limit"):
            if not _WHOLE.fullmatch(getattr(typed, name)):
                typed.errors[name] = "A limit is a whole number, 0 for none."
        for name in ("valid_from", "valid_until"):
            try:
                day(getattr(typed, name))
            except ValueError:
                typed.errors[name] = "Dates are written 2026-12-05."
        return typed

    def coupon(self) -> coupons_pb2.Coupon:
        """The catalog's message (once `errors` is empty)."""
        message = coupons_pb2.Coupon(code=self.code, categories=self.categories, banner=self.banner,
                                     per_customer_limit=int(self.per_customer_limit), total_limit=int(self.total_limit))
        if self.kind == "percent":
            message.percent_off = int(self.value)
        else:
            message.amount_off.CopyFrom(protomoney.to_proto(Decimal(self.value), self.currency))
        if self.min_subtotal and Decimal(self.min_subtotal) > 0:
            message.min_subtotal.CopyFrom(protomoney.to_proto(Decimal(self.min_subtotal), self.currency))
        if self.valid_from:
            message.valid_from.CopyFrom(to_timestamp(datetime.combine(day(self.valid_from), time(), timezone.utc)))
        if self.valid_until:  # through the whole last day
            end = datetime.combine(day(self.valid_until), time(), timezone.utc).timestamp() + 86400
            message.valid_until.CopyFrom(to_timestamp(datetime.fromtimestamp(end, timezone.utc)))
        return message


def rule_text(coupon: coupons_pb2.Coupon) -> str:
    """A coupon's rules in a line: "10% off kitchen, from 50.00 USD, 1 per customer, 100 in all". Pure."""
    if coupon.percent_off:
        parts = [f"{coupon.percent_off}% off"]
    else:
        amount, currency = protomoney.from_proto(coupon.amount_off)
        parts = [f"{amount:.2f} {currency} off"]
    if coupon.categories:
        parts[0] += " " + ", ".join(coupon.categories)
    if coupon.HasField("min_subtotal"):
        amount, currency = protomoney.from_proto(coupon.min_subtotal)
        parts.append(f"from {amount:.2f} {currency}")
    if coupon.per_customer_limit:
        parts.append(f"{coupon.per_customer_limit} per customer")
    if coupon.total_limit:
        parts.append(f"{coupon.total_limit} in all")
    if coupon.HasField("valid_until"):
        parts.append(f"until {coupon.valid_until.ToDatetime(tzinfo=timezone.utc):%Y-%m-%d %H:%M} UTC")
    return ", ".join(parts)


def _page(form: CouponForm, status: int = 200):
    listed = backends().catalog.ListCoupons(coupons_pb2.ListCouponsRequest(page_size=100))
    categories = backends().catalog.ListCategories(catalog_pb2.ListCategoriesRequest()).categories
    return render_template("admin/coupons.html", coupons=listed.coupons, total=listed.total_size, form=form,
                           categories=categories, rule_text=rule_text), status


@bp.get("")
def coupons():
    return _page(CouponForm())


@bp.post("")
def create_coupon():
    form = CouponForm.from_form(request.form)
    if form.errors:
        return _page(form, 400)
    try:
        made = backends().catalog.CreateCoupon(coupons_pb2.CreateCouponRequest(coupon=form.coupon())).coupon
    except Refused as refused:
        form.errors["form"] = f"{refused.message}."
        return _page(form, 400)
    back_office.admin_action("create coupon", code=made.code)
    flash(f"{made.code} works from now: {rule_text(made)}.")
    return redirect("/admin/coupons", 303)


@bp.post("/<code>/end")
def end_coupon(code: str):
    try:
        backends().catalog.DeleteCoupon(coupons_pb2.DeleteCouponRequest(code=code))
    except (NotFound, Refused):
        abort(404)
    back_office.admin_action("end coupon", code=code)
    flash(f"{code.upper()} no longer works; orders that used it keep their discount.")
    return redirect("/admin/coupons", 303)
