"""krakend/krakend.json keeps the gateway's promises: every user's call is validated and
takes the user from the token, admin calls need the admin role, backends keep their status
codes and have a breaker and a timeout, nothing a client sends as a credential reaches a
backend. And devstack.krakend.render moves it to other addresses and nothing else."""
from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from google.protobuf import descriptor_pool

from devstack import krakend
from service_runtime import deadlines, transcoding
from service_runtime.config import DEFAULT_PORTS, Env, RuntimeConfig

CONFIG = krakend.load()
ENDPOINTS = CONFIG["endpoints"]
CB = "github.com/devopsfaith/krakend-circuitbreaker/gobreaker"
RATELIMIT = "github.com/devopsfaith/krakend-ratelimit/juju/router"
HTTP = "github.com/devopsfaith/krakend/http"
GATEWAY_MARGIN_SECONDS = 1


def named(endpoint: dict) -> str:
    return f"{endpoint['method']} {endpoint['endpoint']}"


def extra(endpoint: dict, namespace: str):
    return endpoint.get("extra_config", {}).get(namespace)


def by_name(name: str) -> dict:
    return next(e for e in ENDPOINTS if named(e) == name)


def test_the_service_settings():
    assert (CONFIG["version"], CONFIG["port"], CONFIG["listen_ip"]) == (2, 8000, "127.0.0.1")
    cors = CONFIG["extra_config"]["github_com/devopsfaith/krakend-cors"]
    assert "http://localhost:8080" in cors["allow_origins"] and "*" not in cors["allow_origins"]
    assert "Authorization" in cors["allow_headers"]


def test_every_endpoint_is_public_api_with_one_backend_a_timeout_and_a_breaker():
    assert len({named(e) for e in ENDPOINTS}) == len(ENDPOINTS), "an endpoint is defined twice"
    for endpoint in ENDPOINTS:
        assert endpoint["endpoint"].startswith(("/api/v1/", "/images/products/")), named(endpoint)
        assert re.fullmatch(r"\d+s", endpoint["timeout"]), named(endpoint)
        [backend] = endpoint["backend"]
        krakend.backend_service(backend["host"][0])  # raises for an unknown host
        breaker = backend["extra_config"][CB]
        assert breaker["maxErrors"] > 0 and breaker["timeout"] > 0 and breaker["interval"] > 0, named(endpoint)


def test_backends_keep_their_status_codes_and_bodies():
    for endpoint in ENDPOINTS:
        [backend] = endpoint["backend"]
        if extra(endpoint, krakend.SIGNER):
            # The signer must read the JSON; errors keep their status through return_error_details.
            assert backend["encoding"] == "json" and "output_encoding" not in endpoint, named(endpoint)
            assert backend["extra_config"][HTTP]["return_error_details"], named(endpoint)
        else:
            assert (endpoint["output_encoding"], backend["encoding"]) == ("no-op", "no-op"), named(endpoint)


def test_no_credential_a_client_sends_reaches_a_backend():
    for endpoint in ENDPOINTS:
        passed = {h.lower() for h in endpoint.get("headers_to_pass", [])}
        assert passed and not passed & {"authorization", "cookie", "*"}, named(endpoint)


def test_a_user_id_in_a_backend_url_only_ever_comes_from_a_validated_token():
    for endpoint in ENDPOINTS:
        url = endpoint["backend"][0]["url_pattern"]
        if "/users/" in url and not endpoint["endpoint"].startswith("/api/v1/admin/") and url != "/v1/users":
            assert "/users/{JWT.sub}" in url, named(endpoint)
        if "{JWT." in url:
            assert extra(endpoint, krakend.VALIDATOR), named(endpoint)


def test_only_admin_endpoints_name_an_actor_and_only_from_the_validated_token():
    # The audit log's "who" for API actions (docs/decisions/0013): propagate-claims sets the
    # header from the token, replacing one a client sent; elsewhere the header never passes.
    for endpoint in ENDPOINTS:
        passes_actor = "X-Shop-Actor" in endpoint.get("headers_to_pass", [])
        propagated = (extra(endpoint, krakend.VALIDATOR) or {}).get("propagate-claims")
        if endpoint["endpoint"].startswith("/api/v1/admin/"):
            assert passes_actor and propagated == [["sub", "X-Shop-Actor"]], named(endpoint)
        else:
            assert not passes_actor and not propagated, named(endpoint)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=named)
def test_validators_check_signature_issuer_audience_and_roles(endpoint):
    validator = extra(endpoint, krakend.VALIDATOR)
    path = endpoint["endpoint"]
    if path.startswith(("/api/v1/cart", "/api/v1/orders", "/api/v1/me", "/api/v1/logout", "/api/v1/admin/")):
        assert validator, f"{named(endpoint)} acts for a user and has no validator"
    if not validator:
        return
    assert (validator["alg"], validator["issuer"]) == ("RS256", "shop-identity")
    assert Path(validator["jwk_local_path"]).name == "public.jwks.json"
    # Our build's krakend-jose patch (krakend/build): go-jose checks exp and iat only if present.
    assert validator["required_claims"] == ["sub", "exp", "iat"]
    assert not validator.get("cache"), "krakend-jose 1.4 ignores jwk_local_path when the cache is on"
    if path == "/api/v1/token/refresh":
        assert validator["audience"] == ["shop-refresh"] and "roles" not in validator
    elif path.startswith("/api/v1/admin/"):
        assert validator["audience"] == ["shop-api"] and validator["roles"] == ["admin"]
    else:
        assert validator["audience"] == ["shop-api"] and set(validator["roles"]) == {"customer", "admin"}


def test_only_login_and_refresh_sign_and_they_sign_both_tokens():
    signing = {named(e): extra(e, krakend.SIGNER) for e in ENDPOINTS if extra(e, krakend.SIGNER)}
    assert set(signing) == {"POST /api/v1/login", "POST /api/v1/token/refresh"}
    for signer in signing.values():
        assert signer["keys-to-sign"] == ["access_token", "refresh_token"]
        assert (signer["alg"], signer["kid"]) == ("RS256", krakend.jwk.KEY_ID)
        assert Path(signer["jwk_local_path"]).name == "private.jwks.json"


def test_registration_is_rate_limited_per_client_ip():
    limit = extra(by_name("POST /api/v1/users"), RATELIMIT)
    assert limit["strategy"] == "ip" and 0 < limit["clientMaxRate"] <= 10


def test_render_moves_addresses_and_keys_and_nothing_else(tmp_path):
    urls = {service: f"http://127.0.0.1:{40000 + i}" for i, service in enumerate(krakend.DEFAULT_PORTS)}
    rendered = krakend.render(CONFIG, port=45678, http_urls=urls, keys_dir=tmp_path)
    assert (rendered["port"], rendered["listen_ip"]) == (45678, "127.0.0.1")
    for before, after in zip(ENDPOINTS, rendered["endpoints"]):
        service = krakend.backend_service(before["backend"][0]["host"][0])
        assert after["backend"][0]["host"] == [urls[service]]
        for namespace in (krakend.SIGNER, krakend.VALIDATOR):
            if extra(before, namespace):
                assert Path(extra(after, namespace)["jwk_local_path"]).parent == tmp_path
        # Everything else is as committed.
        stripped = [{**e, "backend": [{**b, "host": None} for b in e["backend"]], "extra_config": None}
                    for e in (before, after)]
        assert stripped[0] == stripped[1]
    assert CONFIG["port"] == 8000, "render must not change its input"


def test_an_address_that_is_no_services_default_is_refused():
    with pytest.raises(ValueError):
        krakend.backend_service("http://127.0.0.1:9999")


def test_every_call_is_traced_and_its_context_sent_on_but_exported_nowhere():
    tracing = CONFIG["extra_config"][krakend.OPENCENSUS]
    # KrakenD sends X-B3-Sampled: 0 for a call it does not sample, and the services would
    # then drop their spans of it too.
    assert tracing["sample_rate"] == 100
    # The router's span roots the trace; the backend layer's span is what the backend continues.
    assert tracing["enabled_layers"]["router"] and tracing["enabled_layers"]["backend"]
    assert tracing["exporters"] == {}


def test_render_adds_exporters_only_when_told(tmp_path):
    urls = {service: "http://127.0.0.1:1" for service in krakend.DEFAULT_PORTS}
    plain = krakend.render(CONFIG, port=1, http_urls=urls, keys_dir=tmp_path)
    zipkin = {"zipkin": {"collector_url": "http://127.0.0.1:2/api/v2/spans", "service_name": "krakend"}}
    exporting = krakend.render(CONFIG, port=1, http_urls=urls, keys_dir=tmp_path, exporters=zipkin)
    assert plain["extra_config"] == CONFIG["extra_config"]
    assert exporting["extra_config"][krakend.OPENCENSUS] == {**CONFIG["extra_config"][krakend.OPENCENSUS],
                                                             "exporters": zipkin}
    assert CONFIG["extra_config"][krakend.OPENCENSUS]["exporters"] == {}, "render must not change its input"


def backend_rpc(endpoint: dict) -> str | None:
    """The RPC ("/package.Service/Method") the endpoint's backend URL reaches through the
    service's HTTP facade, or None for a path the facade serves itself (product images)."""
    backend = endpoint["backend"][0]
    port = urlsplit(backend["host"][0]).port
    process = next(name for name, (_, http_port) in DEFAULT_PORTS.items() if http_port == port)
    package = importlib.import_module(f"shop.{process.removesuffix('service')}.v1")
    modules = [importlib.import_module(f"{package.__name__}.{info.name}")
               for info in pkgutil.iter_modules(package.__path__) if info.name.endswith("_pb2")]

    def shape(template: str) -> str:
        return re.sub(r"\{[^}]*\}", "{}", template)
    found = [route.rpc_path for module in modules for service in module.DESCRIPTOR.services_by_name.values()
             for route in transcoding.routes_for(service)
             if route.http_method == backend["method"] and shape(route.template) == shape(backend["url_pattern"])]
    assert len(found) <= 1, (named(endpoint), found)
    return found[0] if found else None


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=named)
def test_the_gateway_waits_a_second_longer_than_the_facade_for_every_call(endpoint):
    """The limits nest (docs/decisions/0011-deadlines.md): the facade's budget for the
    call (CALL_TIMEOUT_SECONDS, 5 s, times deadlines.LONGER_CALLS), then one second more at
    the gateway, so a slow call ends with the service's own DEADLINE_EXCEEDED (504, JSON),
    never with the gateway's bare timeout. Product images are files: the base budget."""
    base = RuntimeConfig.from_env("catalogservice", Env({"DATABASE_URL": "postgresql://x/y"})).call_timeout
    rpc = backend_rpc(endpoint)
    if rpc is None:
        assert endpoint["endpoint"].startswith("/images/"), named(endpoint)
    expected = deadlines.budget(rpc or "", base) + GATEWAY_MARGIN_SECONDS
    assert endpoint["timeout"] == f"{expected:g}s", (named(endpoint), rpc)
    assert CONFIG["timeout"] == f"{base + GATEWAY_MARGIN_SECONDS:g}s"


def test_every_longer_call_names_a_real_method():
    for rpc_path in deadlines.LONGER_CALLS:
        _, service, method = rpc_path.split("/")
        package = service.rsplit(".", 1)[0]  # shop.checkout.v1: its main file defines the service
        importlib.import_module(f"{package}.{package.split('.')[1]}_pb2")
        assert descriptor_pool.Default().FindServiceByName(service).methods_by_name[method], rpc_path


LUA_ROUTER = "github.com/devopsfaith/krakend-lua/router"


def test_every_endpoint_with_a_path_parameter_has_the_one_path_guard():
    """KrakenD 1.4 puts decoded path parameters into backend URLs as they are; the guard
    refuses what would break or change them (tests/integration/test_gateway_refusals.py)."""
    guards = {named(e): extra(e, LUA_ROUTER) for e in ENDPOINTS if "{" in e["endpoint"]}
    assert all(guards.values()), [name for name, guard in guards.items() if not guard]
    assert len({guard["pre"] for guard in guards.values()}) == 1, "one guard, the same everywhere"
    assert not [named(e) for e in ENDPOINTS if "{" not in e["endpoint"] and extra(e, LUA_ROUTER)]
