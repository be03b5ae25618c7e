"""deploy/k8s, offline: make-secrets.sh makes the secrets, the pinned kustomize builds the
kustomization, every document it makes is valid against the Kubernetes schemas (bundled
with kubernetes-validate, strict), and the workloads keep the shop's rules: probed,
limited, non-root, read-only, configured only with what their code reads."""
from __future__ import annotations

import ast
import base64
import re
import shutil
import subprocess
import urllib.parse
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from devstack import rabbitmq
from frontend.config import DEFAULT_METRICS_PORT
from service_runtime import tracing
from service_runtime.config import DEFAULT_PORTS
from service_runtime.topology import SUBSCRIPTIONS

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
KUSTOMIZE = REPO / ".tools" / "bin" / "kustomize"
MAKE_SECRETS = K8S / "make-secrets.sh"
# The oldest Kubernetes the manifests are for (gRPC probes are GA from 1.27).
KUBERNETES_VERSION = "1.30.0"

SERVICES = sorted(DEFAULT_PORTS)
APPS = [*SERVICES, "frontend", "krakend"]
INFRA = ["postgres", "redis", "rabbitmq"]
ENV_READ = re.compile(r"""env\.(?:str|int|float|address)\(\s*["']([A-Z0-9_]+)["']""")
# Read by every process's tracing set-up (service_runtime/tracing.py), not by a config.py.
TRACING_VARIABLES = {tracing.OTLP_ENDPOINT_ENV}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> list[dict]:
    if not KUSTOMIZE.exists():
        pytest.fail(f"{KUSTOMIZE} is missing: run scripts/install-tools.sh")
    work = tmp_path_factory.mktemp("k8s") / "k8s"
    shutil.copytree(K8S, work, ignore=shutil.ignore_patterns("secrets"))
    subprocess.run([str(MAKE_SECRETS), str(work / "secrets")], check=True, capture_output=True, text=True)
    result = subprocess.run([str(KUSTOMIZE), "build", str(work)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def _of_kind(documents, *kinds) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in documents if d["kind"] in kinds}


def _workloads(documents) -> dict[str, dict]:
    return _of_kind(documents, "Deployment", "StatefulSet")


def _container(workload: dict) -> dict:
    containers = workload["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1, workload["metadata"]["name"]
    return containers[0]


def _environment(container: dict, documents) -> dict[str, str]:
    """Every variable the container gets, from env and from envFrom's ConfigMaps and Secrets."""
    config_maps, secrets = _of_kind(documents, "ConfigMap"), _of_kind(documents, "Secret")
    names: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            names.update(config_maps[source["configMapRef"]["name"]]["data"])
        else:
            data = secrets[source["secretRef"]["name"]]["data"]
            names.update({k: base64.b64decode(v).decode() for k, v in data.items()})
    for variable in container.get("env", []):
        names[variable["name"]] = variable.get("value", "")
    return names


def _names_read_by(package: str) -> tuple[set[str], set[str]]:
    """(every variable the package's config reads, those it requires), its config.py and,
    for services, the shared RuntimeConfig.from_env."""
    sources = [REPO / package / "config.py"]
    if package in DEFAULT_PORTS:
        sources.append(REPO / "service_runtime" / "config.py")
    read, required = set(), set()
    read |= TRACING_VARIABLES
    for source in sources:
        text = source.read_text()
        read |= set(ENV_READ.findall(text))
        for node in ast.walk(ast.parse(text)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "str"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "env"
                    and len(node.args) == 1 and not node.keywords and isinstance(node.args[0], ast.Constant)):
                required.add(node.args[0].value)
    return read, required


def test_kustomize_is_the_pinned_version():
    pinned = re.search(r"^KUSTOMIZE_VERSION=(\S+)\s*$", (REPO / "scripts" / "install-tools.sh").read_text(),
                       re.MULTILINE)
    assert pinned, "no KUSTOMIZE_VERSION=... in scripts/install-tools.sh"
    version = subprocess.run([str(KUSTOMIZE), "version"], check=True, capture_output=True, text=True).stdout
    assert version.strip() == f"v{pinned.group(1)}"


def test_every_document_is_valid_against_the_kubernetes_schemas(built):
    assert len(built) > 30
    for document in built:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_the_validator_used_is_strict_enough_to_refuse_a_misspelt_field(built):
    deployment = _of_kind(built, "Deployment")["frontend"]
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    _container(broken)["readinesProbe"] = _container(broken).pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_every_component_has_a_workload_and_a_service_in_the_shop_namespace(built):
    assert set(_workloads(built)) == set(APPS) | set(INFRA)
    assert set(_of_kind(built, "Service")) == set(APPS) | set(INFRA)
    assert {d["metadata"].get("namespace") for d in built if d["kind"] != "Namespace"} == {"shop"}


def test_every_workload_is_probed_limited_non_root_and_read_only(built):
    for name, workload in _workloads(built).items():
        pod = workload["spec"]["template"]["spec"]
        container = _container(workload)
        assert "readinessProbe" in container and "livenessProbe" in container, name
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container["resources"][kind]), f"{name} {kind}"
        security = container["securityContext"]
        assert pod["securityContext"]["runAsNonRoot"] is True and security["runAsNonRoot"] is True, name
        assert security["runAsUser"] > 0 and pod["securityContext"]["runAsUser"] > 0, name
        assert security["allowPrivilegeEscalation"] is False, name
        assert security["capabilities"]["drop"] == ["ALL"], name
        assert security["readOnlyRootFilesystem"] is True, name
        assert pod.get("automountServiceAccountToken") is False, name


def test_the_python_processes_have_a_writable_tmp(built):
    for name in [*SERVICES, "frontend"]:
        workload = _workloads(built)[name]
        mounts = {m["mountPath"]: m["name"] for m in _container(workload)["volumeMounts"]}
        volumes = {v["name"]: v for v in workload["spec"]["template"]["spec"]["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]], name


def test_services_are_probed_on_grpc_health_at_their_grpc_port(built):
    for name in SERVICES:
        grpc_port, http_port = DEFAULT_PORTS[name]
        container = _container(_workloads(built)[name])
        assert container["readinessProbe"]["grpc"] == {"port": grpc_port}, name
        assert container["livenessProbe"]["grpc"] == {"port": grpc_port}, name
        assert {p["containerPort"] for p in container["ports"]} == {grpc_port, http_port}, name
        assert {p["port"] for p in _of_kind(built, "Service")[name]["spec"]["ports"]} == {grpc_port, http_port}


def test_the_web_doors_are_probed_over_http(built):
    for name, path, port in [("frontend", "/_healthz", 8080), ("krakend", "/__health", 8000)]:
        container = _container(_workloads(built)[name])
        for probe in ("readinessProbe", "livenessProbe"):
            assert container[probe]["httpGet"] == {"path": path, "port": "http"}, name
        assert [p["containerPort"] for p in container["ports"] if p["name"] != "metrics"] == [port]
        # The Service carries the public port only; the metrics port is for Prometheus's pod scrape.
        assert [p["port"] for p in _of_kind(built, "Service")[name]["spec"]["ports"]] == [port]


def test_the_shops_images_and_replicas(built):
    workloads = _workloads(built)
    for name in [*SERVICES, "frontend"]:
        assert _container(workloads[name])["image"] == f"shop/{name}:dev"
        assert workloads[name]["spec"]["replicas"] == 2, name
    assert _container(workloads["krakend"])["image"] == "devopsfaith/krakend:1.4.1"


def test_every_variable_a_container_gets_is_one_its_code_reads_and_none_it_needs_is_missing(built):
    for name in [*SERVICES, "frontend"]:
        environment = _environment(_container(_workloads(built)[name]), built)
        read, required = _names_read_by(name)
        assert set(environment) <= read, f"{name} is given variables its code never reads: {set(environment) - read}"
        assert required <= set(environment), f"{name} lacks required variables: {required - set(environment)}"


def test_every_address_names_a_service_in_the_cluster(built):
    services = _of_kind(built, "Service")
    ports = {name: {p["port"] for p in s["spec"]["ports"]} for name, s in services.items()}
    for name in [*SERVICES, "frontend"]:
        environment = _environment(_container(_workloads(built)[name]), built)
        for variable, value in environment.items():
            if variable.endswith("_ADDR"):
                host, port = value.rsplit(":", 1)
                expected = variable.removesuffix("_ADDR").lower() + "service"
                assert (host, int(port)) == (expected, DEFAULT_PORTS[expected][0]), f"{name} {variable}"
            elif variable.endswith("_URL"):
                url = urllib.parse.urlsplit(value)
                assert url.hostname in services and url.port in ports[url.hostname], f"{name} {variable}"


def test_passwords_reach_services_only_through_secrets(built):
    secret_values = {base64.b64decode(value).decode()
                     for secret in _of_kind(built, "Secret").values() for value in secret["data"].values()}
    password_like = re.compile(r"(PASSWORD|PASS|SECRET_KEY|DATABASE_URL|AMQP_URL)$")
    for name, config_map in _of_kind(built, "ConfigMap").items():
        for key, value in config_map.get("data", {}).items():
            assert not password_like.search(key), f"{name}: {key}"
            assert not any(secret in value for secret in secret_values if len(secret) > 8), f"{name}: {key}"
    for name, workload in _workloads(built).items():
        for variable in _container(workload).get("env", []):
            assert not password_like.search(variable["name"]) or "valueFrom" in variable, name


def test_no_secret_is_committed():
    tracked = subprocess.run(["git", "ls-files", "deploy/k8s"], cwd=REPO, check=True, capture_output=True,
                             text=True).stdout.split()
    assert tracked == [] or not any(path.startswith("deploy/k8s/secrets/") for path in tracked)
    for path in K8S.rglob("*.yaml"):
        if "secrets" in path.relative_to(K8S).parts:
            continue
        for document in yaml.safe_load_all(path.read_text()):
            assert not (document and document.get("kind") == "Secret"), f"{path} holds a Secret"
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    for generator in kustomization["secretGenerator"]:
        assert "literals" not in generator, generator["name"]
        for file in [*generator.get("envs", []), *generator.get("files", [])]:
            assert file.startswith("secrets/"), file
            ignored = subprocess.run(["git", "check-ignore", "-q", f"deploy/k8s/{file}"], cwd=REPO)
            assert ignored.returncode == 0, f"deploy/k8s/{file} is not gitignored"


def test_make_secrets_makes_new_random_values_and_keeps_them_after(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for directory in (first, second):
        subprocess.run([str(MAKE_SECRETS), str(directory)], check=True, capture_output=True)
    for file in ("postgres.env", "rabbitmq.env", "frontend.env", "identityservice.env", "keys/private.jwks.json"):
        assert (first / file).read_text() != (second / file).read_text(), file
        assert (first / file).stat().st_mode & 0o077 == 0, file
    before = {p: p.read_bytes() for p in first.rglob("*") if p.is_file()}
    subprocess.run([str(MAKE_SECRETS), str(first)], check=True, capture_output=True)
    assert before == {p: p.read_bytes() for p in first.rglob("*") if p.is_file()}


def test_replicas_share_their_queues(built):
    """Queue names come from the topology alone, and no pod learns its own name, so every
    replica of a consumer reads the same queue (competing consumers)."""
    assert all(s.queue == f"{s.consumer}.{s.exchange.replace('.', '-')}" for s in SUBSCRIPTIONS)
    for name, workload in _workloads(built).items():
        for variable in _container(workload).get("env", []):
            assert "fieldRef" not in variable.get("valueFrom", {}), f"{name} {variable['name']}"


def test_every_process_with_metrics_is_annotated_for_prometheus_at_its_metrics_port(built):
    """The prometheus.io/* pod annotations that a Prometheus discovering pods reads: each
    service's HTTP port, the website's metrics port, RabbitMQ's per-queue metrics."""
    expected = {name: (http_port, "/metrics") for name, (_, http_port) in DEFAULT_PORTS.items()}
    expected["frontend"] = (DEFAULT_METRICS_PORT, "/metrics")
    expected["rabbitmq"] = (15692, rabbitmq.PER_OBJECT_METRICS_PATH)
    for name, workload in _workloads(built).items():
        annotations = workload["spec"]["template"]["metadata"].get("annotations", {})
        if name not in expected:
            assert not any(key.startswith("prometheus.io/") for key in annotations), name
            continue
        port, path = expected[name]
        assert annotations == {"prometheus.io/scrape": "true", "prometheus.io/port": str(port),
                               "prometheus.io/path": path}, name
        assert port in {p["containerPort"] for p in _container(workload)["ports"]}, f"{name} declares {port}"


def test_tracing_is_off_unless_a_collector_is_named(built):
    for name in [*SERVICES, "frontend"]:
        environment = _environment(_container(_workloads(built)[name]), built)
        assert not environment.get(tracing.OTLP_ENDPOINT_ENV), f"{name}: tracing is opt-in"
    for properties in (K8S / "config").glob("*.properties"):
        assert f"# {tracing.OTLP_ENDPOINT_ENV}=http://" in properties.read_text(), f"{properties.name} shows how"
