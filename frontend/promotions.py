"""Promotion banners (decision 0016): the catalog's advertised coupon codes that fit what the
shopper looks at. A nicety: the call has a short deadline, and the page shows without a
banner when it fails or is slow."""
from __future__ import annotations

import logging
from typing import Iterable

from shop.catalog.v1 import coupons_pb2

from frontend.clients import BackendError

log = logging.getLogger("frontend.promotions")

DEADLINE_SECONDS = 0.15


def banners(catalog, categories: Iterable[str] = (), limit: int = 1, *, product_ids: Iterable[str] = ()) -> list:
    """Promotions (code, banner) for these categories, or these products' (so a product page
    can ask beside the product); [] when the catalog cannot say in time."""
    try:
        return list(catalog.ListPromotions(coupons_pb2.ListPromotionsRequest(
            categories=sorted(set(categories)), product_ids=sorted(set(product_ids)), limit=limit),
            timeout=DEADLINE_SECONDS).promotions)
    except BackendError as error:
        log.info("promotions left out", extra={"detail": error.message})
        return []
