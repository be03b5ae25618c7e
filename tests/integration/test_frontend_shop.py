"""Browsing the shop over the real services: the product grid, categories, pages, search,
a product's page with its stock state, prices in the visitor's currency, the product
images, and what the pages do when a service is away."""
from __future__ import annotations

import re
from dataclasses import replace
from html import unescape
from html.parser import HTMLParser

import pytest

from frontend import create_app
from frontend.money import format_money
from shop.catalog.v1 import currency_pb2, currency_pb2_grpc
from tests.integration.catalog_helpers import create_product, usd
from tests.support.net import free_port


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(html: str, tag_name: str, **wanted) -> list[dict]:
    """The attributes of every <tag_name> tag whose attributes include `wanted`."""
    parser = _Tags()
    parser.feed(html)
    return [attrs for tag, attrs in parser.tags if tag == tag_name and all(attrs.get(k) == v for k, v in wanted.items())]


def product_links(html: str) -> list[str]:
    return [a["href"] for a in tags(html, "a") if a.get("href", "").startswith("/products/")]


def next_link(html: str) -> str | None:
    found = tags(html, "a", rel="next")
    return unescape(found[0]["href"]) if found else None


def in_eur(catalog_channel, money) -> str:
    stub = currency_pb2_grpc.CurrencyServiceStub(catalog_channel)
    reply = stub.Convert(currency_pb2.ConvertRequest(**{"from": money}, to_currency_code="EUR"), timeout=5)
    return format_money(reply.money)


def test_the_home_page_shows_a_grid_of_products_with_images_and_prices(web):
    page = web.get("/")
    assert page.status_code == 200
    images = tags(page.text, "img", loading="lazy")
    assert len(images) == 12 and all(img["alt"] and img["src"].startswith("/images/products/") for img in images)
    assert 'alt="Aviator Sunglasses"' in page.text and "$49.99" in page.text
    assert "css/shop-pages.css" in page.text
    assert "http://" not in page.text and "https://" not in page.text  # nothing from the internet


def test_the_category_filter_shows_only_that_category(web):
    page = web.get("/?category=kitchen")
    assert page.status_code == 200
    assert "<h1>Kitchen</h1>" in page.text
    assert tags(page.text, "a", href="/?category=kitchen")[0].get("aria-current") == "page"
    # Other tests add kitchen products too, so the seeded mug may be a few pages in.
    pages = [page.text]
    while "/products/stoneware-mug" not in pages[-1] and len(pages) < 30:
        (following,) = tags(pages[-1], "a", rel="next")
        pages.append(web.get(unescape(following["href"])).text)
    assert "/products/stoneware-mug" in pages[-1], f"not in the {len(pages)} kitchen pages"
    assert not any("/products/aviator-sunglasses" in text for text in pages)


def test_an_unknown_category_is_a_friendly_404(web):
    reply = web.get("/?category=no-such-category")
    assert reply.status_code == 404 and "We could not find that page" in reply.text


def test_the_next_page_link_leads_through_every_product(web):
    seen, url, pages = [], "/", 0
    while url:
        page = web.get(url)
        assert page.status_code == 200
        seen += product_links(page.text)
        url, pages = next_link(page.text), pages + 1
        if pages > 1:
            assert "First page" in page.text
    assert pages >= 3 and len(seen) == len(set(seen)) >= 34
    assert "/products/stoneware-mug" in seen and "/products/wool-beanie" in seen


def test_the_next_page_keeps_the_category(web, catalog_channel):
    for _ in range(5):  # the demo has 8 kitchen products: now there are more than a page
        create_product(catalog_channel, categories=("kitchen",))
    following = next_link(web.get("/?category=kitchen").text)
    assert following and "category=kitchen" in following
    page = web.get(following)
    assert page.status_code == 200 and "<h1>Kitchen</h1>" in page.text and product_links(page.text)
    assert "/products/aviator-sunglasses" not in page.text


def test_a_page_token_the_shop_did_not_issue_is_a_friendly_400(web):
    reply = web.get("/?page=not-a-token")
    assert reply.status_code == 400 and "start again from the first page" in reply.text
    assert "Traceback" not in reply.text and "page_token" not in reply.text


def test_search_finds_products_by_the_start_of_a_word(web):
    page = web.get("/search?q=stonew")
    assert page.status_code == 200 and "Results for “stonew”" in page.text
    assert "/products/stoneware-mug" in page.text and 'alt="Stoneware Mug"' in page.text


def test_a_search_that_finds_nothing_says_so(web):
    page = web.get("/search?q=qqzzxxunfindable")
    assert page.status_code == 200 and "Nothing matches" in page.text and not product_links(page.text)


@pytest.mark.parametrize("query, text", [("", "Type what you are looking for"),
                                         ("!!! ???", "at least one letter or number")])
def test_a_search_with_no_words_asks_for_some(web, query, text):
    page = web.get("/search", query_string={"q": query})
    assert page.status_code == 200 and text in page.text


def test_a_very_long_search_is_cut_to_the_catalogs_limit(web):
    assert web.get("/search", query_string={"q": "mug " * 100}).status_code == 200


def test_a_bad_search_page_token_is_a_friendly_400(web):
    assert web.get("/search?q=mug&page=%%%").status_code == 400


def test_a_product_page_shows_details_a_quantity_and_an_add_to_cart_form(web):
    page = web.get("/products/stoneware-mug")
    assert page.status_code == 200
    assert "<h1>Stoneware Mug</h1>" in page.text and 'alt="Stoneware Mug"' in page.text
    [form] = tags(page.text, "form", action="/cart/items")
    assert form["method"] == "post"
    fields = {field["name"]: field for field in tags(page.text, "input") if field.get("name")}
    assert fields["product_id"]["value"] == "stoneware-mug" and fields["csrf_token"]["value"]
    quantity = fields["quantity"]
    assert quantity["min"] == "1" and quantity["value"] == "1" and "disabled" not in quantity
    assert tags(page.text, "label", **{"for": quantity["id"]})
    assert "In stock" in page.text and "disabled" not in tags(page.text, "button", type="submit")[-1]


def test_quantities_stop_at_99_however_much_is_in_stock(web, catalog_channel):
    product = create_product(catalog_channel, stock=500)
    quantity = tags(web.get(f"/products/{product.id}").text, "input", name="quantity")[0]
    assert quantity["max"] == "99"


def test_a_product_with_little_stock_says_how_many_are_left(web, catalog_channel):
    product = create_product(catalog_channel, stock=3)
    page = web.get(f"/products/{product.id}")
    assert "Only 3 left" in page.text and 'class="stock stock-low"' in page.text
    assert tags(page.text, "input", name="quantity")[0]["max"] == "3"
    assert "disabled" not in tags(page.text, "button", type="submit")[-1]


def test_an_out_of_stock_product_cannot_be_added(web, catalog_channel):
    product = create_product(catalog_channel, stock=0)
    page = web.get(f"/products/{product.id}")
    assert page.status_code == 200 and "Out of stock" in page.text
    button = tags(page.text, "button", type="submit")[-1]
    assert "disabled" in button and "disabled" in tags(page.text, "input", name="quantity")[0]


def test_the_grid_shows_stock_states_too(web):
    page = web.get("/?category=home")  # the demo's brass candle holder has 3 left
    assert "Only 3 left" in page.text


def test_a_product_page_suggests_related_products(web):
    page = web.get("/products/stoneware-mug")
    # recommendationservice's suggestions, titled by why (frontend/suggestions.py), or the
    # catalog's related products when it cannot answer
    assert re.search(r'<section class="related[^"]*" aria-labelledby="(suggestions|related)-heading">\s*<h2[^>]*>'
                     r'(Customers who bought this also bought|Popular right now|More like this|You may also like)</h2>',
                     page.text)
    related = [link for link in product_links(page.text) if link != "/products/stoneware-mug"]
    assert 1 <= len(related) <= 4


def test_an_unknown_product_is_a_friendly_404(web):
    reply = web.get("/products/no-such-product")
    assert reply.status_code == 404 and "We could not find that page" in reply.text


def test_an_image_from_elsewhere_is_replaced_by_the_placeholder(web, catalog_channel):
    product = create_product(catalog_channel, image_url="https://images.example/photo.jpg")
    page = web.get(f"/products/{product.id}")
    assert "images.example" not in page.text and 'src="/images/products/placeholder.svg"' in page.text


def test_prices_show_in_the_chosen_currency_as_checkout_converts_them(web, catalog_channel):
    product = create_product(catalog_channel, stock=8, price=usd(19, 990_000_000))
    web.set_cookie("shop_currency", "EUR")
    page = web.get(f"/products/{product.id}")
    expected = in_eur(catalog_channel, product.price)
    assert expected.startswith("€") and expected in page.text and "$19.99" not in page.text
    home = web.get("/")
    assert "€" in home.text and "$49.99" not in home.text
    assert in_eur(catalog_channel, usd(49, 990_000_000)) in home.text


def test_an_unconvertible_currency_shows_dollars_with_a_note(web):
    web.set_cookie("shop_currency", "XXX")  # well formed, but not one the catalog knows
    page = web.get("/products/stoneware-mug")
    assert page.status_code == 200 and '<p class="price product-price">$' in page.text
    assert "We could not show prices in XXX just now, so they are in USD." in page.text


def test_product_images_are_served_with_caching_headers(web):
    reply = web.get("/images/products/stoneware-mug.svg")
    assert reply.status_code == 200 and reply.mimetype == "image/svg+xml"
    assert "max-age=" in reply.headers["Cache-Control"] and "public" in reply.headers["Cache-Control"]


@pytest.mark.parametrize("path", ["/images/products/..%2fsecret", "/images/products/..%2f..%2fconfig.py",
                                  "/images/products/%2e%2e%2fproducts.py", "/images/products/no-such-image.svg",
                                  "/images/products/"])
def test_images_outside_the_folder_or_missing_are_404(web, path):
    reply = web.get(path)
    assert reply.status_code == 404 and "We could not find that page" in reply.text


def test_the_pages_say_when_the_catalog_is_away(frontend_config):
    away = replace(frontend_config, catalog_addr=f"127.0.0.1:{free_port()}", rpc_timeout=1.0)
    client = create_app(away).test_client()
    for path in ("/", "/search?q=mug", "/products/stoneware-mug"):
        reply = client.get(path)
        assert reply.status_code == 503 and "We cannot reach the product catalog right now" in reply.text


def test_the_home_page_shows_when_the_cart_service_is_away(frontend_config):
    away = replace(frontend_config, cart_addr=f"127.0.0.1:{free_port()}", rpc_timeout=1.0)
    page = create_app(away).test_client().get("/")
    assert page.status_code == 200 and "/products/aviator-sunglasses" in page.text
    assert 'class="count"' not in page.text
