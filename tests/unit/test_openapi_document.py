"""The public API's OpenAPI document (krakend/openapi.yaml) says what the gateway's
configuration (krakend/krakend.json) does: the same endpoints, parameters and security,
and the refusals the gateway makes. Pure: reads the two files, starts nothing."""
import json
import re
from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import validate

REPO = Path(__file__).resolve().parents[2]
CONFIG_PATH = REPO / "krakend" / "krakend.json"
DOCUMENT_PATH = REPO / "krakend" / "openapi.yaml"

VALIDATOR = "github.com/devopsfaith/krakend-jose/validator"
RATE_LIMIT = "github.com/devopsfaith/krakend-ratelimit/juju/router"
REFRESH_AUDIENCE = "shop-refresh"
# identityservice refuses sign-ins with RESOURCE_EXHAUSTED after repeated failures for one
# email address, whatever the gateway's configuration says.
LOGIN = ("POST", "/api/v1/login")
TAGS = {"catalog", "cart", "orders", "shipping", "account", "admin"}
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

CONFIG = json.loads(CONFIG_PATH.read_text())
ENDPOINTS = {(e["method"].upper(), e["endpoint"]): e for e in CONFIG["endpoints"]}


def endpoint_id(key: tuple[str, str]) -> str:
    return " ".join(key)


each_endpoint = pytest.mark.parametrize("key", sorted(ENDPOINTS), ids=endpoint_id)


@pytest.fixture(scope="module")
def document() -> dict:
    return yaml.safe_load(DOCUMENT_PATH.read_text())


def documented_operations(document: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path)
            for path, item in document.get("paths", {}).items()
            for method in item if method in HTTP_METHODS}


def resolve(document: dict, node: dict) -> dict:
    """The node a local $ref points at (following chains), or the node itself."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"only local references are expected, got {ref!r}"
        node = document
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def operation(document: dict, key: tuple[str, str]) -> dict:
    method, path = key
    item = document.get("paths", {}).get(path, {})
    if method.lower() not in item:
        pytest.fail(f"{endpoint_id(key)} is in krakend.json but not in openapi.yaml")
    return item[method.lower()]


def parameters(document: dict, key: tuple[str, str], location: str) -> list[dict]:
    """The operation's parameters in one location, path-item ones included (an operation's
    own parameter wins over the path item's of the same name)."""
    method, path = key
    item = document["paths"][path]
    merged = {}
    for raw in item.get("parameters", []) + operation(document, key).get("parameters", []):
        parameter = resolve(document, raw)
        merged[(parameter["name"], parameter["in"])] = parameter
    return [p for (_, where), p in merged.items() if where == location]


def validator_of(key: tuple[str, str]) -> dict | None:
    return ENDPOINTS[key].get("extra_config", {}).get(VALIDATOR)


def is_rate_limited(key: tuple[str, str]) -> bool:
    limits = ENDPOINTS[key].get("extra_config", {}).get(RATE_LIMIT) or {}
    return limits.get("maxRate", 0) > 0 or limits.get("clientMaxRate", 0) > 0


def is_pass_through(key: tuple[str, str]) -> bool:
    return ENDPOINTS[key].get("output_encoding") == "no-op"


def test_the_document_is_valid_openapi_3(document):
    assert str(document.get("openapi", "")).startswith("3."), "openapi.yaml must be an OpenAPI 3 document"
    validate(document)


def test_the_document_has_exactly_the_gateways_endpoints(document):
    documented = documented_operations(document)
    configured = set(ENDPOINTS)
    missing = sorted(endpoint_id(k) for k in configured - documented)
    extra = sorted(endpoint_id(k) for k in documented - configured)
    assert not missing and not extra, (
        f"in krakend.json but not documented: {missing}; documented but not in krakend.json: {extra}"
    )


@each_endpoint
def test_each_operation_is_named_and_tagged(document, key):
    op = operation(document, key)
    assert op.get("operationId"), f"{endpoint_id(key)}: no operationId"
    assert op.get("summary"), f"{endpoint_id(key)}: no summary"
    tags = op.get("tags") or []
    assert len(tags) == 1 and tags[0] in TAGS, f"{endpoint_id(key)}: tags {tags}, expected one of {sorted(TAGS)}"


def test_operation_ids_are_unique(document):
    ids = [operation(document, key).get("operationId") for key in sorted(documented_operations(document))]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"operationIds used more than once: {duplicates}"


@each_endpoint
def test_path_parameters_are_the_endpoints_variables(document, key):
    expected = re.findall(r"\{([^}]+)\}", key[1])
    found = parameters(document, key, "path")
    assert sorted(p["name"] for p in found) == sorted(expected), (
        f"{endpoint_id(key)}: path parameters {sorted(p['name'] for p in found)}, the endpoint has {sorted(expected)}"
    )
    for parameter in found:
        assert parameter.get("required") is True, f"{endpoint_id(key)}: path parameter {parameter['name']} must be required"
        schema = resolve(document, parameter.get("schema", {}))
        assert schema.get("type") == "string", f"{endpoint_id(key)}: path parameter {parameter['name']} must be a string"


@each_endpoint
def test_query_parameters_are_the_ones_the_gateway_passes(document, key):
    expected = ENDPOINTS[key].get("querystring_params", [])
    found = [p["name"] for p in parameters(document, key, "query")]
    assert sorted(found) == sorted(expected), (
        f"{endpoint_id(key)}: query parameters {sorted(found)}, querystring_params {sorted(expected)}"
    )


@each_endpoint
def test_security_is_the_validators(document, key):
    op = operation(document, key)
    name = endpoint_id(key)
    validator = validator_of(key)
    assert "security" in op, f"{name}: state security explicitly ([] for a public endpoint)"
    if validator is None:
        assert op["security"] == [], f"{name}: the gateway validates no token here, but security is {op['security']}"
    else:
        assert op["security"] == [{"bearerAuth": []}], f"{name}: the gateway validates a token, but security is {op['security']}"
    expected_roles = (validator or {}).get("roles") or []
    assert (op.get("x-required-roles") or []) == expected_roles, (
        f"{name}: x-required-roles {op.get('x-required-roles')}, the validator's roles {expected_roles}"
    )
    takes_refresh_token = REFRESH_AUDIENCE in (validator or {}).get("audience", [])
    if takes_refresh_token:
        assert op.get("x-token") == "refresh", f"{name}: the validator wants a refresh token; mark it x-token: refresh"
    else:
        assert "x-token" not in op, f"{name}: x-token {op.get('x-token')!r}, but the validator does not want a refresh token"


def test_bearer_auth_is_a_jwt_bearer_scheme(document):
    scheme = document.get("components", {}).get("securitySchemes", {}).get("bearerAuth") or {}
    shape = (scheme.get("type"), scheme.get("scheme"), scheme.get("bearerFormat"))
    assert shape == ("http", "bearer", "JWT"), f"securitySchemes.bearerAuth must be http bearer JWT, got {scheme}"


@each_endpoint
def test_the_gateways_refusals_are_documented(document, key):
    responses = operation(document, key).get("responses", {})
    name = endpoint_id(key)
    validator = validator_of(key)
    if validator is not None:
        assert "401" in responses, f"{name}: the gateway answers 401 to a missing or invalid token; document it"
        if validator.get("roles"):
            assert "403" in responses, f"{name}: the gateway answers 403 to a token without {validator['roles']}; document it"
        else:
            assert "403" not in responses, f"{name}: the validator requires no role, so nothing answers 403"
    if is_rate_limited(key) or key == LOGIN:
        assert "429" in responses, f"{name}: 429 can happen here (rate limit or sign-in lockout); document it"


@each_endpoint
def test_each_operation_documents_a_success(document, key):
    codes = [str(code) for code in operation(document, key).get("responses", {})]
    assert any(re.fullmatch(r"2(\d\d|XX)", code) for code in codes), f"{endpoint_id(key)}: no 2xx response among {codes}"


@pytest.mark.parametrize("key", sorted(k for k in ENDPOINTS if is_pass_through(k)), ids=endpoint_id)
def test_pass_through_request_bodies_are_objects(document, key):
    body = resolve(document, operation(document, key).get("requestBody", {}))
    for media_type, content in body.get("content", {}).items():
        schema = resolve(document, content.get("schema", {}))
        assert schema.get("type") == "object", (
            f"{endpoint_id(key)}: the {media_type} request body must be an object schema, got {schema.get('type')!r}"
        )


def test_the_documented_currencies_are_the_catalogs():
    """Money in requests names one of the currencies the catalog converts to."""
    rates = json.loads((REPO / "catalogservice" / "rates.json").read_text())
    document = yaml.safe_load(DOCUMENT_PATH.read_text())
    documented = document["components"]["schemas"]["MoneyInput"]["properties"]["currencyCode"]["enum"]
    assert sorted(documented) == sorted({*rates["rates"], rates["base"]})


def test_the_documented_countries_are_the_ones_shipping_ships_to():
    from shippingservice.rates import ZONES

    document = yaml.safe_load(DOCUMENT_PATH.read_text())
    documented = document["components"]["schemas"]["AddressInput"]["properties"]["countryCode"]["enum"]
    assert sorted(documented) == sorted({country for zone in ZONES for country in zone.countries})


def test_the_documented_address_rules_are_shippings_own():
    """Each country's postal code format and region list, as shippingservice checks them
    (shippingservice/addresses.py), one oneOf branch per group of countries sharing a rule."""
    from shippingservice.addresses import _GENERIC_POSTAL_CODE, POSTAL_FORMATS, REGIONS
    from shippingservice.rates import ZONES

    expected = {}
    for country in {country for zone in ZONES for country in zone.countries}:
        pattern = f"^{POSTAL_FORMATS[country][0]}$" if country in POSTAL_FORMATS else _GENERIC_POSTAL_CODE.pattern
        expected[country] = (pattern, tuple(sorted(REGIONS.get(country, ()))))
    document = yaml.safe_load(DOCUMENT_PATH.read_text())
    documented = {}
    for branch in document["components"]["schemas"]["AddressInput"]["oneOf"]:
        rule = (branch["properties"]["postalCode"]["pattern"],
                tuple(sorted(branch["properties"].get("region", {}).get("enum", ()))))
        assert ("region" in branch.get("required", [])) == bool(rule[1])
        for country in branch["properties"]["countryCode"]["enum"]:
            assert country not in documented, f"{country} is in two branches"
            documented[country] = rule
    assert documented == expected


def test_a_quotes_subtotal_is_documented_in_the_quotes_currency_to_its_minor_unit():
    """shippingservice refuses a subtotal in another currency than the quote's, or finer
    than that currency's minor unit (shippingservice/quotes.py): one oneOf branch per
    currency says both."""
    from service_runtime import money

    rates = json.loads((REPO / "catalogservice" / "rates.json").read_text())
    expected = {code: 10 ** (9 - money.minor_unit_exponent(code)) for code in {*rates["rates"], rates["base"]}}
    document = yaml.safe_load(DOCUMENT_PATH.read_text())
    documented = {}
    for branch in document["components"]["schemas"]["ShippingQuoteRequest"]["oneOf"]:
        [code] = branch["properties"]["currencyCode"]["enum"]
        subtotal = branch["properties"]["subtotal"]["properties"]
        assert subtotal["currencyCode"]["enum"] == [code]
        nanos = subtotal["nanos"]
        documented[code] = 10 ** 9 if nanos.get("enum") == [0] else nanos["multipleOf"]
    assert documented == expected


def test_the_documented_categories_are_the_ones_the_catalogs_migrations_make():
    migrations = "".join(path.read_text() for path in sorted((REPO / "catalogservice" / "migrations").glob("*.sql")))
    made = re.findall(r"^\s*\('([a-z0-9-]+)', '[^']*', \d+\)", migrations.split("INSERT INTO categories", 1)[1],
                      re.MULTILINE)
    assert "INSERT INTO categories" not in migrations.split("INSERT INTO categories", 1)[1], \
        "a later migration adds categories: read them too"
    document = yaml.safe_load(DOCUMENT_PATH.read_text())
    assert document["components"]["schemas"]["CategorySlugs"]["items"]["enum"] == made


def test_the_documented_refresh_token_lifetime_is_identitys_default():
    from identityservice.config import DAY, load
    from service_runtime.config import Env

    config = load(Env({"DATABASE_URL": "postgresql://unused/identity"}))
    days = {int(found) for found in re.findall(r"valid (\d+) days by default", DOCUMENT_PATH.read_text())}
    assert days == {config.tokens.refresh_ttl_seconds // DAY}
