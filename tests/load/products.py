"""The products the load shoppers look at and buy: demo products with plenty of stock (the
sold-out and nearly sold-out ones left out), or those LOADTEST_PRODUCTS names,
comma-separated. Kept apart from locustfile.py, which cannot be imported without locust."""
from __future__ import annotations

import os

DEMO_PRODUCTS = ("aviator-sunglasses", "canvas-tote-bag", "leather-wallet", "wool-beanie", "cotton-tank-top",
                 "striped-tshirt", "rain-jacket", "potted-succulent", "linen-throw-pillow", "safety-matches",
                 "salt-pepper-shakers", "bamboo-glass-jar", "stoneware-mug", "french-press", "cast-iron-skillet",
                 "wireless-headphones", "bluetooth-speaker", "camping-lantern", "insulated-water-bottle")


def chosen(environ=os.environ) -> tuple[str, ...]:
    return tuple(p for p in environ.get("LOADTEST_PRODUCTS", "").split(",") if p) or DEMO_PRODUCTS
