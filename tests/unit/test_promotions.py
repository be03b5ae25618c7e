"""Promotion banners are a nicety: asked with a short deadline, and left out when the
catalog cannot answer in time. (The catalog here is a stand-in object; the banners against
the real catalog are in tests/integration/test_frontend_coupons.py.)"""
from __future__ import annotations

import grpc

from frontend import promotions
from frontend.clients import Refused, ServiceUnavailable
from shop.catalog.v1 import coupons_pb2


class Catalog:
    def __init__(self, answer):
        self.answer, self.asked, self.requests = answer, [], []

    def ListPromotions(self, request, timeout=None):
        self.asked.append((list(request.categories), request.limit, timeout))
        self.requests.append(request)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_banners_are_asked_for_the_categories_within_the_deadline():
    catalog = Catalog(coupons_pb2.ListPromotionsResponse(promotions=[coupons_pb2.Promotion(code="A-1", banner="b")]))
    assert [p.code for p in promotions.banners(catalog, ["kitchen", "home", "kitchen"])] == ["A-1"]
    assert catalog.asked == [(["home", "kitchen"], 1, promotions.DEADLINE_SECONDS)]
    assert promotions.DEADLINE_SECONDS <= 0.15


def test_a_slow_or_failing_catalog_leaves_the_page_without_banners():
    assert promotions.banners(Catalog(ServiceUnavailable("catalog", "deadline exceeded")), ["kitchen"]) == []
    assert promotions.banners(Catalog(Refused("catalog", grpc.StatusCode.INVALID_ARGUMENT, "no")), ["x"]) == []


def test_a_product_page_asks_by_the_products_id_so_it_need_not_wait_for_the_product():
    catalog = Catalog(coupons_pb2.ListPromotionsResponse())
    assert promotions.banners(catalog, product_ids=["mug", "kettle", "mug"]) == []
    assert [list(r.product_ids) for r in catalog.requests] == [["kettle", "mug"]]
    assert not catalog.requests[0].categories
