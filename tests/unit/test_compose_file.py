"""docker-compose.yml runs the shop the code describes: every service it names exists, every
port is the one DESIGN.md's table gives (service_runtime.config.DEFAULT_PORTS), every
environment variable it sets is one the process reads, every required one is set, the
secrets come from .env, and the shop starts in dependency order. No Docker needed: each
service's own config loader reads the environment compose would give it."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator, Mapping

import pytest
import yaml

from cartservice import config as cart_config
from catalogservice import config as catalog_config
from checkoutservice import config as checkout_config
from devstack import compose, krakend
from devstack.stack import DATABASES, SERVICES
from emailservice import config as email_config
from frontend import config as frontend_config
from identityservice import config as identity_config
from paymentservice import config as payment_config
from recommendationservice import config as recommendation_config
from service_runtime import tracing
from service_runtime.config import DEFAULT_ADDRESSES, DEFAULT_PORTS, ConfigError, Env
from shippingservice import config as shipping_config

REPO = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SPECS = COMPOSE["services"]

LOADERS = {
    "catalogservice": catalog_config.load, "cartservice": cart_config.load, "checkoutservice": checkout_config.load,
    "paymentservice": payment_config.load, "shippingservice": shipping_config.load,
    "emailservice": email_config.load, "identityservice": identity_config.load, "frontend": frontend_config.load,
    "recommendationservice": recommendation_config.load,
}
# The secrets compose takes from .env (or the shell), never from the file itself: the
# compose service, the variable it is given, the .env variable it comes from.
SECRETS = {("identityservice", "ADMIN_PASSWORD", "ADMIN_PASSWORD"), ("frontend", "SECRET_KEY", "SECRET_KEY"),
           ("grafana", "GF_SECURITY_ADMIN_PASSWORD", "GRAFANA_ADMIN_PASSWORD")}
DOTENV = {"ADMIN_PASSWORD": "from-dotenv", "SECRET_KEY": "from-dotenv", "GRAFANA_ADMIN_PASSWORD": "from-dotenv"}
# Read by the shared tracing set-up (service_runtime/tracing.py), not by a config.py.
TRACING_VARIABLES = {tracing.OTLP_ENDPOINT_ENV, tracing.SAMPLER_ENV, tracing.SAMPLER_ARG_ENV}
OBSERVABILITY = ["otel-collector", "jaeger", "prometheus", "grafana"]
# What is published on the host, by compose service: (host ip or "", host port, container port).
PUBLISHED = {
    "frontend": ("", frontend_config.DEFAULT_HTTP_PORT, frontend_config.DEFAULT_HTTP_PORT),
    "krakend": ("", krakend.DEFAULT_PORT, krakend.DEFAULT_PORT),
    "rabbitmq": ("127.0.0.1", 15672, 15672),
    "mailpit": ("127.0.0.1", 8025, 8025),
    "jaeger": ("127.0.0.1", 16686, 16686),
    "prometheus": ("127.0.0.1", 9090, 9090),
    "grafana": ("127.0.0.1", 3000, 3000),
}
INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:[-?])(?P<arg>[^}]*))?\}")


def interpolate(value: str, dotenv: Mapping[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?message}, against a .env."""
    def one(match: re.Match) -> str:
        name, op, arg = match["name"], match["op"], match["arg"]
        if dotenv.get(name):
            return dotenv[name]
        if op == ":-":
            return arg
        raise KeyError(f"{name} is required: {arg}")
    return INTERPOLATION.sub(one, str(value))


def environment(service: str, dotenv: Mapping[str, str] | None = None) -> dict[str, str]:
    dotenv = DOTENV if dotenv is None else dotenv
    return {name: interpolate(value, dotenv) for name, value in SPECS[service].get("environment", {}).items()}


class RecordingEnviron(dict):
    """An environment that notes every variable the code looks up."""

    def __init__(self, values: Mapping[str, str]):
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, name, default=None):
        self.read.add(name)
        return super().get(name, default)


def depends_on(service: str) -> dict[str, str]:
    return {name: rule["condition"] for name, rule in SPECS[service].get("depends_on", {}).items()}


def dockerfile(service: str) -> Path:
    return REPO / SPECS[service]["build"]["dockerfile"]


def has_healthcheck(service: str) -> bool:
    if "healthcheck" in SPECS[service]:
        return not SPECS[service]["healthcheck"].get("disable", False)
    return "build" in SPECS[service] and bool(
        re.search(r"^HEALTHCHECK\s+(?!NONE)", dockerfile(service).read_text(), re.M))


def ports(service: str) -> Iterator[tuple[str, int, int]]:
    for entry in SPECS[service].get("ports", []):
        *host_ip, host_port, container_port = interpolate(str(entry), {}).split(":")
        yield (host_ip[0] if host_ip else ""), int(host_port), int(container_port)


def test_every_shop_process_is_a_service_built_from_its_own_dockerfile():
    for service in [*SERVICES, "frontend", "krakend"]:
        assert service in SPECS, f"{service} is missing from docker-compose.yml"
        build = SPECS[service]["build"]
        assert build["context"] == "."
        assert build["dockerfile"] == f"{service}/Dockerfile" and dockerfile(service).is_file(), service
    assert set(SERVICES) == set(DEFAULT_PORTS)


def test_every_service_named_exists_and_every_file_it_mounts_or_builds_from_too():
    volumes = set(COMPOSE.get("volumes", {}))
    for service, spec in SPECS.items():
        for other in spec.get("depends_on", {}):
            assert other in SPECS, f"{service} depends on {other}, which is not a service"
        if "build" in spec:
            assert dockerfile(service).is_file(), service
        for mount in spec.get("volumes", []):
            source, target, *_ = mount.split(":")
            if source.startswith("."):
                # The locustfile's folder is another issue's; everything else is here now.
                assert source == "./tests/load" or (REPO / source).exists(), f"{service} mounts missing {source}"
            else:
                assert source in volumes, f"{service} mounts undeclared volume {source}"


def test_services_listen_on_the_design_ports_and_only_on_the_compose_network():
    for service, (grpc_port, http_port) in DEFAULT_PORTS.items():
        assert sorted(int(p) for p in SPECS[service]["expose"]) == sorted([grpc_port, http_port]), service
        assert "ports" not in SPECS[service], f"{service}'s ports are internal: DESIGN.md publishes none"
        assert not {"GRPC_PORT", "HTTP_PORT"} & set(SPECS[service].get("environment", {})), \
            f"{service} must listen on its default ports"


def test_only_the_website_the_gateway_and_the_tools_web_uis_are_published():
    published = {service for service in SPECS if "ports" in SPECS[service]}
    assert published == set(PUBLISHED)
    for service, expected in PUBLISHED.items():
        assert list(ports(service)) == [expected], service
    for infrastructure in ("postgres", "redis"):
        assert "ports" not in SPECS[infrastructure]


def test_the_gateways_port_is_the_one_its_configuration_listens_on():
    config = compose.krakend_config()
    assert (config["port"], config["listen_ip"]) == (krakend.DEFAULT_PORT, "0.0.0.0")


@pytest.mark.parametrize("service", sorted(LOADERS))
def test_every_variable_set_is_read_by_the_service_and_its_config_loads(service):
    environ = RecordingEnviron(environment(service))
    LOADERS[service](Env(environ))  # raises ConfigError for a missing or malformed value
    unread = set(environ) - environ.read - TRACING_VARIABLES
    assert not unread, f"docker-compose.yml sets {sorted(unread)} for {service}, which never reads them"


@pytest.mark.parametrize("service", sorted(LOADERS))
def test_every_process_may_trace_and_does_not_unless_dotenv_says_where(service):
    assert set(environment(service)) & TRACING_VARIABLES == TRACING_VARIABLES, service
    environ = RecordingEnviron(environment(service, {**DOTENV}))
    assert environ[tracing.OTLP_ENDPOINT_ENV] == ""
    assert tracing.configure_tracing(service, environ=environ) is None, "empty must mean tracing off"
    assert {tracing.OTLP_ENDPOINT_ENV, tracing.SAMPLER_ENV} <= environ.read
    collector = "http://otel-collector:4318"
    assert environment(service, {**DOTENV, tracing.OTLP_ENDPOINT_ENV: collector})[tracing.OTLP_ENDPOINT_ENV] == collector


def names_in_source(package: str) -> tuple[set[str], set[str]]:
    """(every variable, the required ones) that package's config.py reads, with the shared
    RuntimeConfig's when it uses that, found in the source: env.str("X") with no default is
    required."""
    own = (REPO / package / "config.py").read_text()
    sources = [own]
    if "RuntimeConfig.from_env" in own:
        shared = (REPO / "service_runtime" / "config.py").read_text()
        sources.append(shared[shared.index("def from_env"):])
    read, required = set(), set()
    for source in sources:
        for kind, name, after in re.findall(r'env\.(str|int|float|address)\("(\w+)"(\)|,)', source):
            read.add(name)
            if kind == "str" and after == ")":
                required.add(name)
    return read, required


@pytest.mark.parametrize("service", sorted(LOADERS))
def test_every_variable_set_is_one_the_source_reads(service):
    read, _ = names_in_source(service)
    given = set(environment(service)) - TRACING_VARIABLES
    assert given <= read, sorted(given - read)


@pytest.mark.parametrize("service", sorted(LOADERS))
def test_every_required_variable_is_set(service):
    _, required = names_in_source(service)
    assert required, f"found no required variable in {service}/config.py"
    full = environment(service)
    for name in sorted(required):
        assert name in full, f"docker-compose.yml does not set {name}, which {service} requires"
        without = {k: v for k, v in full.items() if k != name}
        with pytest.raises(ConfigError, match=name):
            LOADERS[service](Env(without))


@pytest.mark.parametrize("service", sorted(LOADERS))
def test_addresses_name_the_service_at_its_grpc_port_and_wait_for_it(service):
    env = environment(service)
    for name in DEFAULT_ADDRESSES:
        if name not in env:
            continue
        target = name.removesuffix("_ADDR").lower() + "service"
        assert env[name] == f"{target}:{DEFAULT_PORTS[target][0]}", f"{service}: {name}"
        assert depends_on(service).get(target) == "service_healthy", f"{service} must wait for {target}"


def test_each_service_uses_its_own_database_and_the_shared_brokers():
    created = set(re.findall(r"CREATE DATABASE (\w+);", (REPO / "deploy/compose/postgres-init.sql").read_text()))
    assert created == set(DATABASES.values())
    for service in SERVICES:
        env = environment(service)
        if service in DATABASES:
            assert env["DATABASE_URL"] == f"postgresql://shop:shop@postgres:5432/{DATABASES[service]}", service
            assert depends_on(service)["postgres"] == "service_healthy"
        else:
            assert "DATABASE_URL" not in env
        if "AMQP_URL" in env:
            assert env["AMQP_URL"] == "amqp://shop:shop@rabbitmq:5672/"
            assert depends_on(service)["rabbitmq"] == "service_healthy"
        if "REDIS_URL" in env:
            assert env["REDIS_URL"] == "redis://redis:6379/0"
            assert depends_on(service)["redis"] == "service_healthy"
    assert SPECS["postgres"]["environment"] == {"POSTGRES_USER": "shop", "POSTGRES_PASSWORD": "shop"}
    assert SPECS["rabbitmq"]["environment"] == {"RABBITMQ_DEFAULT_USER": "shop", "RABBITMQ_DEFAULT_PASS": "shop"}


def test_emails_go_to_the_smtp_catcher():
    smtp = email_config.parse_smtp_url(environment("emailservice")["SMTP_URL"])
    assert (smtp.host, smtp.port, smtp.start_tls) == ("mailpit", 1025, False)
    assert depends_on("emailservice")["mailpit"] == "service_healthy"
    assert SPECS["mailpit"]["image"].startswith("axllent/mailpit:")


def test_secrets_come_from_dotenv_and_compose_refuses_to_start_without_them():
    for service, name, dotenv_name in SECRETS:
        raw = SPECS[service]["environment"][name]
        assert re.fullmatch(rf"\$\{{{dotenv_name}:\?.+\}}", raw), f"{service}'s {name} must be ${{{dotenv_name}:?...}}"
        with pytest.raises(KeyError, match=dotenv_name):
            environment(service, dotenv={})
    # devstack.compose env makes every secret the file asks for.
    assert {dotenv_name for _, _, dotenv_name in SECRETS} <= set(compose.env_values())
    # Nothing else in the file asks for a value that the template does not describe.
    template = (REPO / "deploy/compose/env.example").read_text()
    wanted = {m["name"] for m in INTERPOLATION.finditer((REPO / "docker-compose.yml").read_text())}
    described = set(re.findall(r"^(\w+)=", template, re.M))
    assert wanted == described
    secrets = "|".join(dotenv_name for _, _, dotenv_name in SECRETS)
    assert all(not value for value in re.findall(rf"^(?:{secrets})=(.*)$", template, re.M)), \
        "the template must not carry a secret"


def test_the_shop_starts_in_order_each_process_after_what_it_needs():
    for service, spec in SPECS.items():
        for other, condition in depends_on(service).items():
            assert condition in {"service_healthy", "service_completed_successfully"}, f"{service} -> {other}"
            if condition == "service_healthy":
                assert has_healthcheck(other), f"{service} waits for {other}, which has no health check"
            else:
                assert SPECS[other].get("restart") == "no", f"{other} runs once"
    for service in [*SERVICES, "frontend", "krakend", "postgres", "redis", "rabbitmq", "mailpit"]:
        assert has_healthcheck(service), service
        assert "profiles" not in SPECS[service], service


def test_the_gateway_waits_for_its_keys_and_every_backend_it_routes_to():
    config = compose.krakend_config()
    hosts = {host for endpoint in config["endpoints"] for backend in endpoint["backend"] for host in backend["host"]}
    backends = {re.fullmatch(r"http://(\w+):(\d+)", host)[1] for host in hosts}
    assert {h for h in hosts} == {compose.http_urls()[b] for b in backends}
    needs = depends_on("krakend")
    assert needs.pop("keys") == "service_completed_successfully"
    assert needs == {backend: "service_healthy" for backend in backends}


def test_the_keys_volume_is_written_once_by_keys_and_read_only_by_the_gateway():
    [keys_mount] = SPECS["keys"]["volumes"]
    [gateway_mount] = SPECS["krakend"]["volumes"]
    volume, keys_dir = keys_mount.split(":")
    assert gateway_mount == f"{volume}:{compose.KRAKEND_KEYS_DIR}:ro"
    assert f"ensure_keys(Path('{keys_dir}'))" in " ".join(SPECS["keys"]["command"])
    paths = {settings["jwk_local_path"] for endpoint in compose.krakend_config()["endpoints"]
             for settings in endpoint.get("extra_config", {}).values() if "jwk_local_path" in settings}
    assert paths == {f"{compose.KRAKEND_KEYS_DIR}/private.jwks.json", f"{compose.KRAKEND_KEYS_DIR}/public.jwks.json"}


def test_locust_runs_only_in_the_load_profile_against_the_website_and_the_gateway():
    locust = SPECS["locust"]
    assert locust["profiles"] == ["load"]
    command = [interpolate(part, {}) for part in locust["command"]]
    assert command[:3] == ["locust", "-f", "/app/tests/load/locustfile.py"]
    # Headless and bounded, failing when a request fails (tests/containers runs it).
    options = dict(zip(command[3:], command[4:]))
    assert "--headless" in command and options["--run-time"] == "60s" and options["--exit-code-on-error"] == "1"
    assert locust["volumes"] == ["./tests/load:/app/tests/load:ro"]
    assert locust["environment"] == {"LOADTEST_WEB_HOST": "http://frontend:8080",
                                     "LOADTEST_API_HOST": "http://krakend:8000"}
    assert depends_on("locust") == {"frontend": "service_healthy", "krakend": "service_healthy"}
    assert [name for name, spec in SPECS.items() if spec.get("profiles") == ["load"]] == ["locust"]


def test_locust_is_given_only_variables_the_locustfile_reads():
    load = REPO / "tests" / "load"
    assert (load / "locustfile.py").exists()
    source = "".join(path.read_text() for path in load.glob("*.py"))
    for name in SPECS["locust"]["environment"]:
        assert f'"{name}"' in source, f"the locustfile does not read {name}"


def test_the_observability_tools_run_only_in_their_profile_from_pinned_images():
    assert [name for name, spec in SPECS.items() if spec.get("profiles") == ["observability"]] == OBSERVABILITY
    for name in OBSERVABILITY:
        image, _, tag = SPECS[name]["image"].partition(":")
        assert tag and tag != "latest" and re.fullmatch(r"v?\d+\.\d+\.\d+", tag), f"{name}: pin a release, not {tag!r}"
        assert "build" not in SPECS[name], name
    assert SPECS["otel-collector"]["image"].startswith("otel/opentelemetry-collector:"), "the core distribution"
    # No shop process waits for them: without the profile they do not exist.
    for name, spec in SPECS.items():
        if name not in OBSERVABILITY:
            assert not set(spec.get("depends_on", {})) & set(OBSERVABILITY), name
