"""What the sweeper gives back for an abandoned checkout (checkoutservice/abandonment.py)."""
import pytest

from checkoutservice import abandonment
from checkoutservice.abandonment import Outcome, Payment


def test_an_authorization_without_an_order_is_voided_and_the_stock_released():
    plan = abandonment.plan(order_exists=False, payment=Payment("pay_1", "AUTHORIZED"))
    assert plan == abandonment.Plan(void="pay_1", release=True, forget=True, outcome=Outcome.RELEASED)


@pytest.mark.parametrize("payment", [None, Payment("pay_1", "DECLINED"), Payment("pay_1", "VOIDED"),
                                     Payment("pay_1", "FAILED")])
def test_with_nothing_held_on_the_card_only_the_stock_is_released(payment):
    plan = abandonment.plan(order_exists=False, payment=payment)
    assert plan == abandonment.Plan(void=None, release=True, forget=True, outcome=Outcome.RELEASED)


@pytest.mark.parametrize("payment", [None, Payment("pay_1", "AUTHORIZED"), Payment("pay_1", "CAPTURED")])
def test_an_attempt_whose_order_exists_gives_nothing_back_and_is_deleted(payment):
    plan = abandonment.plan(order_exists=True, payment=payment)
    assert plan == abandonment.Plan(void=None, release=False, forget=True, outcome=Outcome.ORDER_EXISTS)


@pytest.mark.parametrize("status", ["CAPTURED", "PARTIALLY_REFUNDED", "REFUNDED", "SOMETHING_NEW"])
def test_money_taken_without_an_order_is_left_untouched_for_a_person(status):
    plan = abandonment.plan(order_exists=False, payment=Payment("pay_1", status))
    assert plan == abandonment.Plan(void=None, release=False, forget=False, outcome=Outcome.NEEDS_ATTENTION)


def test_the_metric_has_a_series_for_every_outcome_from_the_start():
    from checkoutservice.metrics import ABANDONED

    labels = {sample.labels["outcome"] for metric in ABANDONED.collect() for sample in metric.samples
              if sample.name == "shop_checkout_abandoned_total"}
    assert labels == {"released", "order_exists", "needs_attention", "failed"}
