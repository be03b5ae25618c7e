"""A local single-node Kubernetes cluster, built from source and run by the project: etcd,
kube-apiserver, kube-controller-manager, kube-scheduler, a private containerd, the kubelet,
kube-proxy and CoreDNS, all of one state directory. Every listener is on 127.0.0.1 but
CoreDNS's, which is on the node's bridge address (below); etcd speaks plain HTTP, on
loopback only.

    python -m devstack.kube up [ROOT]      # start it (ROOT: SHOP_KUBE_ROOT or .stack/kube)
    python -m devstack.kube down [ROOT]    # stop it and clean up after it
    python -m devstack.kube smoke [ROOT]   # prove it: a pod on the CNI network, HTTP-probed,
                                           # behind a service, and DNS from inside it
    python -m devstack.kube env [ROOT]     # the KUBECONFIG line for a shell

The Kubernetes binaries and CoreDNS come from `scripts/install-tools.sh kubernetes`
(.tools/bin); etcd, containerd, runc and the CNI plugins from Debian (etcd-server,
containerd, runc, containernetworking-plugins). Root is needed: the kubelet and containerd
manage namespaces, mounts, cgroups and the pod network. One cluster runs per machine (the
kubelet and kube-proxy use host-wide names: see Cluster._take_lock).

What it makes, all under ROOT unless said otherwise:
  pki/            a cluster CA, the apiserver's and the kubelet's serving certificates, client
                  certificates for the admin, the control plane, the kubelet, kube-proxy and
                  CoreDNS, and the service-account key pair (made once, with `cryptography`);
  *.kubeconfig    one per client; admin.kubeconfig is the one for people (`env`);
  etcd/           etcd's data, new at each `up`: every `up` is a fresh cluster;
  containerd/     the private containerd's config and root (its images stay between runs);
  kubelet/        the kubelet's root directory (pods' volumes), removed at `down`;
  volumes/        the persistent volumes offered to claims (hostPath, no storage class),
                  removed at `down` and at `up`;
  cni/            the bridge network's configuration and its address allocations;
  images/         the stand-in images, as OCI archives (see below);
  logs/           one log per process; run/ their pid files; cluster.json what `up` chose.
/run/shop-kube-<hash>/ holds containerd's socket and state, runc's state and the pods'
network namespaces (socket paths must be short).

Networking: a bridge of its own (shopk + a hash of the root) with the host's MTU, on a /24
for pods that overlaps no route of the host's; the services take another such /24. The
bridge is made before the kubelet starts, because its address is the node's address: the
kubelet refuses a loopback node IP. The kubelet itself listens on 127.0.0.1, and the
apiserver reaches it by the node's host name, `localhost` (`kubectl logs`, `exec` and
`port-forward` work). NodePorts answer on 127.0.0.1 only. Two FORWARD rules accept what
goes in and out of the bridge: a Docker engine on the same host sets FORWARD's policy to DROP.

DNS: CoreDNS runs as a Deployment in kube-system behind the kube-dns service (the services'
.10), in the host's network, bound to the node's bridge address: pods reach it there, and it
reaches the apiserver on 127.0.0.1. For the same reason the `kubernetes` service (whose
endpoint is the node's address) does not answer from pods: the shop does not use the API.

This host's quirks, each needed for a pod to run here:
  - cgroup v1: the kubelet runs with failCgroupV1: false, the cgroupfs driver, and without
    QoS cgroups or node-allocatable enforcement;
  - no CAP_SYS_RESOURCE: containerd's CRI has restrict_oom_score_adj = true, or every sandbox
    fails with "can't get final child's PID from pipe";
  - no registry: the sandbox image (registry.k8s.io/pause) is a stand-in built here, a static
    Go program (deploy/k8s-local/images/pause) packed FROM scratch into an OCI archive by this
    module and imported with `ctr images import`; so are the smoke test's HTTP server
    (deploy/k8s-local/images/probe) and CoreDNS's image (.tools/bin/coredns).

`down` stops it in order: the scheduler and the controller manager (so nothing is
replaced), every pod deleted through the API (so the kubelet tears down each pod's network
and mounts), then the kubelet, kube-proxy (and `kube-proxy --cleanup` for its rules),
containerd, the apiserver and etcd; then it removes what is left, also after a cluster that
was killed: containers (through runc) and their shims, mounts, the bridge, the run
directory, KUBE-* iptables chains, the host paths and cgroups `up` found missing, and the
sysctls the kubelet and kube-proxy set go back to what they were."""
from __future__ import annotations

import base64
import contextlib
import datetime
import fcntl
import hashlib
import io
import ipaddress
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from devstack import host, ports

REPO = Path(__file__).resolve().parents[1]
TOOLS_BIN = REPO / ".tools" / "bin"
ROOT_ENV = "SHOP_KUBE_ROOT"
DEFAULT_ROOT = REPO / ".stack" / "kube"
IMAGE_SOURCES = REPO / "deploy" / "k8s-local" / "images"

ETCD = "/usr/bin/etcd"
CONTAINERD = "/usr/bin/containerd"
CTR = "/usr/bin/ctr"
RUNC = "/usr/sbin/runc"
CNI_BIN = "/usr/lib/cni"
CNI_PLUGINS = ("bridge", "host-local", "portmap", "loopback")

# Held while a cluster runs (see Cluster._take_lock).
MACHINE_LOCK = "/run/shop-kube.lock"

NODE_NAME = "localhost"
CLUSTER_DOMAIN = "cluster.local"
CNI_NETWORK = "shop-kube"
PAUSE_IMAGE = "shop.local/pause:3.10"
PROBE_IMAGE = "shop.local/probe:dev"
# .tools/bin/coredns, tagged with the version scripts/install-tools.sh pins
COREDNS_IMAGE = "shop.local/coredns:" + (re.search(r"^COREDNS_VERSION=(\S+)", (REPO / "scripts" / "install-tools.sh")
                                                   .read_text(), re.M) or ["", "unknown"])[1]
# name -> (image, entrypoint, user)
STAND_INS = {"pause": (PAUSE_IMAGE, "/pause", "65535:65535"), "probe": (PROBE_IMAGE, "/probe", "10001:10001")}

# Host settings the kubelet (kernel tunables) and kube-proxy (route_localnet, for NodePorts on
# 127.0.0.1) change: `up` records them, `down` puts them back.
# net.bridge.bridge-nf-call-iptables: `up` sets it to 1 (see _up).
SYSCTLS = ("vm/overcommit_memory", "kernel/panic", "kernel/panic_on_oops", "net/ipv4/conf/all/route_localnet",
           "net/bridge/bridge-nf-call-iptables")

# Paths the kubelet and containerd's CRI use whatever they are told (the kubelet's device
# plugin socket, libcni's result cache, the kubelet's log links): `down` removes those `up`
# made, once every process has stopped.
# hostPath persistent volumes offered at `up` (Cluster._install_volumes): PostgreSQL's,
# RabbitMQ's and the fault flags' claims, and room for more.
VOLUMES = 5
HOST_PATHS = ("/var/lib/kubelet", "/var/lib/cni", "/var/log/containers")

# The order of `up`; `down` goes the other way, but for the first two (see the module's doc).
PROCESSES = ("etcd", "containerd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet",
             "kube-proxy")


class ClusterError(RuntimeError):
    """The local cluster could not be started, used or stopped."""


def _log(message: str) -> None:
    print(f"kube: {message}", flush=True)


# -- certificates ------------------------------------------------------------------------------
def _pki(directory: Path, server_names: list[str], server_ips: list[str]) -> None:
    """Make the cluster's CA and every certificate and key from it, once. The apiserver's
    serving certificate is made again when the names it must carry change."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)

    def write_key(path: Path, key) -> None:
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
        path.chmod(0o600)

    def load(name: str):
        cert = x509.load_pem_x509_certificate((directory / f"{name}.crt").read_bytes())
        key = serialization.load_pem_private_key((directory / f"{name}.key").read_bytes(), None)
        return cert, key

    if not (directory / "ca.crt").exists():
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shop-kube-ca")])
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now)
                .not_valid_after(now + datetime.timedelta(days=3650))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                             content_commitment=False, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False, encipher_only=False,
                                             decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .sign(key, hashes.SHA256()))
        write_key(directory / "ca.key", key)
        (directory / "ca.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    ca_cert, ca_key = load("ca")

    def issue(name: str, common_name: str, orgs: tuple[str, ...] = (), *, server: bool = False,
              client: bool = False, dns: tuple[str, ...] = (), ips: tuple[str, ...] = ()) -> None:
        wanted = sorted(dns) + sorted(ips)
        stamp = directory / f"{name}.names"
        if (directory / f"{name}.crt").exists() and (not server or (stamp.exists() and
                                                                     json.loads(stamp.read_text()) == wanted)):
            return
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([*(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org) for org in orgs),
                             x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        usages = ([ExtendedKeyUsageOID.SERVER_AUTH] if server else []) + ([ExtendedKeyUsageOID.CLIENT_AUTH]
                                                                        if client else [])
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=825))
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=False,
                                                content_commitment=False, data_encipherment=False,
                                                key_agreement=False, key_cert_sign=False, crl_sign=False,
                                                encipher_only=False, decipher_only=False), critical=True)
                   .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                                  critical=False))
        if dns or ips:
            builder = builder.add_extension(x509.SubjectAlternativeName(
                [*(x509.DNSName(d) for d in dns), *(x509.IPAddress(ipaddress.ip_address(i)) for i in ips)]),
                critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        write_key(directory / f"{name}.key", key)
        (directory / f"{name}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        if server:
            stamp.write_text(json.dumps(wanted))

    issue("apiserver", "kube-apiserver", server=True, dns=tuple(server_names), ips=tuple(server_ips))
    issue("kubelet-server", NODE_NAME, server=True, dns=(NODE_NAME,),
          ips=("127.0.0.1", *server_ips[1:2]))  # 127.0.0.1 and the node's (bridge) address
    issue("admin", "kubernetes-admin", ("system:masters",), client=True)
    issue("apiserver-kubelet-client", "kube-apiserver-kubelet-client", ("system:masters",), client=True)
    issue("controller-manager", "system:kube-controller-manager", client=True)
    issue("scheduler", "system:kube-scheduler", client=True)
    issue("kubelet", f"system:node:{NODE_NAME}", ("system:nodes",), client=True)
    issue("kube-proxy", "system:kube-proxy", client=True)
    issue("coredns", "system:coredns", client=True)
    if not (directory / "sa.key").exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        write_key(directory / "sa.key", key)
        (directory / "sa.pub").write_bytes(key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


def _kubeconfig(path: Path, server: str, pki: Path, user: str) -> None:
    """A kubeconfig (JSON, which is YAML) for the client certificate pki/<user>.crt."""
    config = {
        "apiVersion": "v1", "kind": "Config", "current-context": "shop-kube", "preferences": {},
        "clusters": [{"name": "shop-kube",
                      "cluster": {"server": server, "certificate-authority": str(pki / "ca.crt")}}],
        "users": [{"name": user, "user": {"client-certificate": str(pki / f"{user}.crt"),
                                          "client-key": str(pki / f"{user}.key")}}],
        "contexts": [{"name": "shop-kube", "context": {"cluster": "shop-kube", "user": user}}],
    }
    path.write_text(json.dumps(config, indent=2) + "\n")
    path.chmod(0o600)


# -- stand-in images ---------------------------------------------------------------------------
def _oci_archive(binary: Path, image: str, entrypoint: str, user: str, out: Path) -> None:
    """An OCI image layout in a tar (what `ctr images import` reads): one layer holding the
    static binary at `entrypoint`, FROM scratch. Times are zero, so the digests only change
    with the binary."""
    def tar_bytes(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for info, data in members:
                tar.addfile(info, io.BytesIO(data) if data is not None else None)
        return buffer.getvalue()

    def entry(name: str, data: bytes | None = None, mode: int = 0o644, kind: bytes = tarfile.REGTYPE):
        info = tarfile.TarInfo(name)
        info.type, info.mode, info.mtime, info.uid, info.gid = kind, mode, 0, 0, 0
        info.size = len(data) if data is not None else 0
        return info, data

    program = binary.read_bytes()
    layer = tar_bytes([entry("tmp/", mode=0o1777, kind=tarfile.DIRTYPE),
                       entry(entrypoint.lstrip("/"), program, 0o755)])
    blobs: dict[str, bytes] = {}

    def blob(data: bytes, media_type: str) -> dict:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        blobs[digest] = data
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    layer_desc = blob(layer, "application/vnd.oci.image.layer.v1.tar")
    config = {"architecture": "amd64", "os": "linux",
              "config": {"Entrypoint": [entrypoint], "User": user, "Env": ["PATH=/"], "WorkingDir": "/"},
              "rootfs": {"type": "layers", "diff_ids": [layer_desc["digest"]]},
              "history": [{"created_by": f"devstack.kube: {binary.name}, static, FROM scratch"}]}
    config_desc = blob(json.dumps(config, sort_keys=True).encode(), "application/vnd.oci.image.config.v1+json")
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": config_desc, "layers": [layer_desc]}
    manifest_desc = blob(json.dumps(manifest, sort_keys=True).encode(), "application/vnd.oci.image.manifest.v1+json")
    manifest_desc["platform"] = {"architecture": "amd64", "os": "linux"}
    manifest_desc["annotations"] = {"io.containerd.image.name": image,
                                    "org.opencontainers.image.ref.name": image.rsplit(":", 1)[1]}
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [manifest_desc]}
    members = [entry("oci-layout", json.dumps({"imageLayoutVersion": "1.0.0"}).encode()),
               entry("index.json", json.dumps(index, sort_keys=True).encode()),
               entry("blobs/", mode=0o755, kind=tarfile.DIRTYPE),
               entry("blobs/sha256/", mode=0o755, kind=tarfile.DIRTYPE)]
    members += [entry(f"blobs/sha256/{digest.split(':')[1]}", data) for digest, data in blobs.items()]
    tmp = out.with_suffix(".tmp")
    tmp.write_bytes(tar_bytes(members))
    tmp.replace(out)


def _archive_digest(archive: Path) -> str:
    """The manifest digest of an OCI archive's one image."""
    with tarfile.open(archive) as tar:
        index = json.load(tar.extractfile("index.json"))
    return index["manifests"][0]["digest"]


def _go() -> str:
    found = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None)
    if not found:
        raise ClusterError("Go is needed to build the stand-in images and was not found")
    return found


def build_stand_ins(directory: Path) -> dict[str, Path]:
    """The stand-in images' OCI archives, built when their source changed (a stamp holds its hash)."""
    directory.mkdir(parents=True, exist_ok=True)
    archives = {}
    for name, (image, entrypoint, user) in STAND_INS.items():
        source = IMAGE_SOURCES / name / "main.go"
        digest = hashlib.sha256(source.read_bytes() + f"{image} {entrypoint} {user}".encode()).hexdigest()[:16]
        archive, stamp = directory / f"{name}.oci.tar", directory / f"{name}.stamp"
        if not (archive.exists() and stamp.exists() and stamp.read_text() == digest):
            binary = directory / name
            env = dict(os.environ, CGO_ENABLED="0", GOWORK="off", GOFLAGS="", GO111MODULE="on")
            result = subprocess.run([_go(), "build", "-trimpath", "-ldflags", "-s -w", "-o", str(binary), str(source)],
                                    env=env, capture_output=True, text=True, cwd=source.parent)
            if result.returncode != 0:
                raise ClusterError(f"the {name} stand-in did not build:\n{result.stderr}")
            _oci_archive(binary, image, entrypoint, user, archive)
            binary.unlink()
            stamp.write_text(digest)
        archives[image] = archive
    coredns = TOOLS_BIN / "coredns"
    if coredns.exists():  # the DNS add-on's image, from `scripts/install-tools.sh kubernetes`
        archive, stamp = directory / "coredns.oci.tar", directory / "coredns.stamp"
        info = coredns.stat()
        digest = f"{COREDNS_IMAGE} {info.st_size} {info.st_mtime_ns}"
        if not (archive.exists() and stamp.exists() and stamp.read_text() == digest):
            _oci_archive(coredns, COREDNS_IMAGE, "/coredns", "0:0", archive)
            stamp.write_text(digest)
        archives[COREDNS_IMAGE] = archive
    return archives


# -- networks ----------------------------------------------------------------------------------
def _free_networks(key: int) -> tuple[ipaddress.IPv4Network, ipaddress.IPv4Network]:
    """A /24 for pods and one for services, chosen from the root's hash among 10.x ranges that
    overlap no route of the host's (the private Docker engine uses 10.200-249)."""
    taken = host.routes()
    for step in range(64):
        third = (key >> 8) % 250
        pods = ipaddress.ip_network(f"10.{100 + (key + step) % 50}.{third}.0/24")
        services = ipaddress.ip_network(f"10.{150 + (key + step) % 50}.{third}.0/24")
        if not any(pods.overlaps(net) or services.overlaps(net) for net in taken):
            return pods, services
    raise ClusterError("no free private address range for the cluster's networks")


# -- processes ---------------------------------------------------------------------------------
def _alive(pid: int, binary: str) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # a zombie has stopped; a pid reused by another program is not ours
    return status.split(") ", 1)[-1][:1] != "Z" and Path(cmdline).name == Path(binary).name


def _http_ok(url: str, context: ssl.SSLContext | None = None) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3, context=context) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


class Cluster:
    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        digest = hashlib.sha256(str(self.root).encode()).hexdigest()
        self.key = int(digest[:8], 16)
        self.bridge = f"shopk{digest[:6]}"
        self.run_dir = Path(f"/run/shop-kube-{digest[:10]}")
        self.socket = self.run_dir / "containerd.sock"
        self.pki = self.root / "pki"
        self.logs = self.root / "logs"
        self.pids = self.root / "run"
        self.kubelet_dir = self.root / "kubelet"
        self.state_file = self.root / "cluster.json"
        self.kubeconfig = self.root / "admin.kubeconfig"
        self.volumes = self.root / "volumes"
        self._lock_fd: int | None = None
        self.state: dict = {}
        with contextlib.suppress(OSError, ValueError):
            self.state = json.loads(self.state_file.read_text())

    # -- clients -------------------------------------------------------------------------------
    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env["KUBECONFIG"] = str(self.kubeconfig)
        env["PATH"] = f"{TOOLS_BIN}:{env.get('PATH', '')}"
        return env

    def kubectl(self, *args: str, check: bool = True, input: str | None = None,
                timeout: float | None = 180) -> subprocess.CompletedProcess:
        result = subprocess.run([str(TOOLS_BIN / "kubectl"), "--kubeconfig", str(self.kubeconfig), *args],
                                capture_output=True, text=True, input=input, timeout=timeout)
        if check and result.returncode != 0:
            raise ClusterError(f"kubectl {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
        return result

    def ctr(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([CTR, "--address", str(self.socket), "--namespace", "k8s.io", *args],
                                capture_output=True, text=True, timeout=300)
        if check and result.returncode != 0:
            raise ClusterError(f"ctr {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
        return result

    def _ssl(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.pki / "ca.crt"))
        context.load_cert_chain(str(self.pki / "admin.crt"), str(self.pki / "admin.key"))
        return context

    def api_ready(self) -> bool:
        port = self.state.get("ports", {}).get("apiserver")
        return bool(port) and self.kubeconfig.exists() and _http_ok(f"https://127.0.0.1:{port}/readyz", self._ssl())

    def images(self) -> dict[str, str]:
        """The images in the cluster's containerd: name -> manifest digest."""
        digests = {}
        for line in self.ctr("images", "list").stdout.splitlines()[1:]:
            fields = line.split()
            if len(fields) >= 3:
                digests[fields[0]] = fields[2]
        return digests

    def import_image(self, archive: Path) -> None:
        """Load an image archive (OCI layout or `docker save` output) into the cluster's
        containerd, where the kubelet finds it (imagePullPolicy Never or IfNotPresent)."""
        self.ctr("images", "import", "--snapshotter", "overlayfs", str(archive))

    # -- life cycle ----------------------------------------------------------------------------
    def _take_lock(self) -> None:
        """One cluster per machine: the kubelet's device-plugin socket, kube-proxy's KUBE-*
        chains and the containers' parent cgroup are the host's, whatever the root. The lock
        is passed to every process `up` starts, so it is held while any of them runs."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(MACHINE_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = Path(MACHINE_LOCK).read_text().strip() or "another root"
            raise ClusterError(f"a local cluster already runs on this machine ({holder}); "
                               f"`python -m devstack.kube down {holder}` stops it") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{self.root}\n".encode(), 0)
        self._lock_fd = fd

    def _check_binaries(self) -> None:
        missing = [str(TOOLS_BIN / name) for name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler",
                                                      "kubelet", "kube-proxy", "kubectl")
                   if not (TOOLS_BIN / name).exists()]
        if missing:
            raise ClusterError(f"missing {', '.join(missing)}: run `scripts/install-tools.sh kubernetes`")
        debian = [path for path in (ETCD, CONTAINERD, CTR, RUNC, *(f"{CNI_BIN}/{p}" for p in CNI_PLUGINS))
                  if not Path(path).exists()]
        if debian:
            raise ClusterError(f"missing {', '.join(debian)}: install Debian's etcd-server, containerd, runc "
                               "and containernetworking-plugins")

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> int:
        self.logs.mkdir(parents=True, exist_ok=True)
        self.pids.mkdir(parents=True, exist_ok=True)
        with (self.logs / f"{name}.log").open("ab") as log:
            log.write(f"\n=== {time.strftime('%Y-%m-%dT%H:%M:%S')} {' '.join(argv)}\n".encode())
            log.flush()
            process = subprocess.Popen(argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env,
                                       start_new_session=True, pass_fds=(self._lock_fd,) if self._lock_fd else ())
        (self.pids / f"{name}.pid").write_text(f"{process.pid}\n")
        self._children[name] = process
        return process.pid

    def _wait(self, name: str, ready, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        process = self._children[name]
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ClusterError(f"{name} exited ({process.returncode}):\n{self._log_tail(name)}")
            if ready():
                return
            time.sleep(0.25)
        raise ClusterError(f"{name} was not ready within {timeout:.0f} s:\n{self._log_tail(name)}")

    def _log_tail(self, name: str) -> str:
        with contextlib.suppress(OSError):
            return (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]
        return ""

    def _write_configs(self, pods: ipaddress.IPv4Network, services: ipaddress.IPv4Network,
                       gateway: ipaddress.IPv4Interface, mtu: int, p: dict[str, int]) -> None:
        root, run = self.root, self.run_dir
        (root / "containerd").mkdir(parents=True, exist_ok=True)
        (root / "cni" / "net.d").mkdir(parents=True, exist_ok=True)
        (root / "containerd" / "config.toml").write_text(f"""\
# The local cluster's private containerd (devstack/kube.py writes this at each `up`).
version = 2
root = "{root}/containerd/root"
state = "{run}/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
                    "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",
                    "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "{self.socket}"

[ttrpc]
  address = "{run}/containerd-ttrpc.sock"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "{root}/containerd/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{PAUSE_IMAGE}"
  # This machine lacks CAP_SYS_RESOURCE: without it every sandbox fails with
  # "can't get final child's PID from pipe".
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  # the pods' network namespaces under the state directory, not /var/run/netns
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "{RUNC}"
        Root = "{run}/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{CNI_BIN}"
    conf_dir = "{root}/cni/net.d"
    max_conf_num = 1
""")
        cni = {
            "cniVersion": "0.4.0", "name": CNI_NETWORK,
            "plugins": [
                {"type": "bridge", "bridge": self.bridge, "isGateway": True, "ipMasq": False, "hairpinMode": True,
                 "mtu": mtu,
                 "ipam": {"type": "host-local", "dataDir": str(root / "cni" / "ipam"),
                          "ranges": [[{"subnet": str(pods), "gateway": str(gateway.ip)}]],
                          "routes": [{"dst": "0.0.0.0/0"}]}},
                {"type": "portmap", "capabilities": {"portMappings": True}},
            ],
        }
        (root / "cni" / "net.d" / "10-shop-kube.conflist").write_text(json.dumps(cni, indent=2) + "\n")
        kubelet = {
            "apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration",
            "address": "127.0.0.1", "port": p["kubelet"], "readOnlyPort": 0,
            "healthzBindAddress": "127.0.0.1", "healthzPort": p["kubelet_healthz"],
            "tlsCertFile": str(self.pki / "kubelet-server.crt"),
            "tlsPrivateKeyFile": str(self.pki / "kubelet-server.key"),
            "authentication": {"anonymous": {"enabled": False}, "webhook": {"enabled": True},
                               "x509": {"clientCAFile": str(self.pki / "ca.crt")}},
            "authorization": {"mode": "Webhook"},
            "containerRuntimeEndpoint": f"unix://{self.socket}",
            "clusterDomain": CLUSTER_DOMAIN, "clusterDNS": [str(services.network_address + 10)],
            # cgroup v1 here: allowed, with the cgroupfs driver and no QoS or allocatable cgroups.
            "failCgroupV1": False, "cgroupDriver": "cgroupfs", "cgroupsPerQOS": False,
            "enforceNodeAllocatable": [], "failSwapOn": False,
            "podLogsDir": str(root / "pod-logs"), "volumePluginDir": str(root / "kubelet-plugins"),
            "staticPodPath": "", "registerNode": True, "rotateCertificates": False, "serverTLSBootstrap": False,
            "imageGCHighThresholdPercent": 100, "imageGCLowThresholdPercent": 99,
            "evictionHard": {"memory.available": "100Mi", "nodefs.available": "1%", "imagefs.available": "1%",
                             "nodefs.inodesFree": "1%"},
            "maxPods": 110, "serializeImagePulls": False, "protectKernelDefaults": False,
        }
        (root / "kubelet.yaml").write_text(json.dumps(kubelet, indent=2) + "\n")

    def up(self, timeout: float = 180.0) -> "Cluster":
        if os.geteuid() != 0:
            raise ClusterError("the local cluster needs root (the kubelet and containerd manage namespaces, "
                               "mounts, cgroups and the pod network)")
        self._check_binaries()
        self._take_lock()
        self._children: dict[str, subprocess.Popen] = {}
        started = time.monotonic()
        try:
            self._cleanup(keep_lock=True)  # what a cluster that was killed may have left
            self._up(timeout)
        except BaseException:
            _log("start failed: stopping what was started")
            with contextlib.suppress(Exception):
                self.down(_holding_lock=True)
            raise
        self.state["start_seconds"] = round(time.monotonic() - started, 1)
        self._save_state()
        _log(f"cluster up in {self.state['start_seconds']} s: KUBECONFIG={self.kubeconfig}")
        return self

    def _save_state(self) -> None:
        self.state_file.write_text(json.dumps(self.state, indent=2) + "\n")

    def _up(self, timeout: float) -> None:
        pods, services = _free_networks(self.key)
        gateway = ipaddress.ip_interface(f"{pods.network_address + 1}/{pods.prefixlen}")
        mtu = host.mtu()
        names = ("etcd", "etcd_peer", "apiserver", "controller_manager", "scheduler", "kubelet", "kubelet_healthz",
                 "proxy_healthz", "proxy_metrics")
        p: dict[str, int] = {}
        for name in names:  # distinct ports
            while (port := ports.free_port()) in p.values():
                pass
            p[name] = port
        sysctls = {}
        for name in SYSCTLS:
            with contextlib.suppress(OSError):
                sysctls[name] = Path(f"/proc/sys/{name}").read_text().strip()
        self.state = {"root": str(self.root), "ports": p, "pods": str(pods), "services": str(services),
                      "gateway": str(gateway), "bridge": self.bridge, "mtu": mtu, "sysctls": sysctls,
                      "created_paths": [path for path in HOST_PATHS if not Path(path).exists()],
                      # the parent cgroup of every container (cgroupfs, no QoS cgroups): k8s.io
                      "created_cgroups": [str(hierarchy / "k8s.io") for hierarchy in Path("/sys/fs/cgroup").glob("*")
                                          if hierarchy.is_dir() and not (hierarchy / "k8s.io").exists()]}
        self._save_state()
        service_ip = str(services.network_address + 1)
        _pki(self.pki, ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                        f"kubernetes.default.svc.{CLUSTER_DOMAIN}"], ["127.0.0.1", str(gateway.ip), service_ip])
        server = f"https://127.0.0.1:{p['apiserver']}"
        for user in ("admin", "controller-manager", "scheduler", "kubelet", "kube-proxy"):
            path = self.kubeconfig if user == "admin" else self.root / f"{user}.kubeconfig"
            _kubeconfig(path, server, self.pki, user)
        # A pod that calls a service whose endpoint is a pod on the same bridge gets the answer
        # straight over the bridge: iptables must see bridged packets to undo the service's NAT.
        bridged = Path("/proc/sys/net/bridge/bridge-nf-call-iptables")
        if bridged.exists():
            bridged.write_text("1")
        else:
            _log("warning: br_netfilter is not loaded: pod -> service -> pod on the same node will fail")
        p["dns_health"], p["dns_ready"] = self._two_more_ports(p)
        self._save_state()
        archives = build_stand_ins(self.root / "images")
        host.make_bridge(self.bridge, gateway, mtu)
        _forward_rules(self.bridge, "-I")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._write_configs(pods, services, gateway, mtu, p)
        for stale in (self.root / "etcd", self.kubelet_dir, self.root / "cni" / "ipam"):
            shutil.rmtree(stale, ignore_errors=True)

        t = time.monotonic()
        etcd_url = f"http://127.0.0.1:{p['etcd']}"
        peer_url = f"http://127.0.0.1:{p['etcd_peer']}"
        self._spawn("etcd", [ETCD, "--name", "shop-kube", "--data-dir", str(self.root / "etcd"),
                             "--listen-client-urls", etcd_url, "--advertise-client-urls", etcd_url,
                             "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
                             "--initial-cluster", f"shop-kube={peer_url}", "--initial-cluster-state", "new",
                             "--logger", "zap", "--log-outputs", "stderr"])
        self._wait("etcd", lambda: _http_ok(f"{etcd_url}/health"), 30)
        _log(f"etcd ready ({time.monotonic() - t:.1f} s)")

        t = time.monotonic()
        self._spawn("containerd", [CONTAINERD, "--config", str(self.root / "containerd" / "config.toml")])
        self._wait("containerd", lambda: self.socket.exists() and self.ctr("version", check=False).returncode == 0, 30)
        present = self.images()
        for image, archive in archives.items():
            if present.get(image) != _archive_digest(archive):
                self.import_image(archive)
        _log(f"containerd ready, stand-in images in ({time.monotonic() - t:.1f} s)")

        t = time.monotonic()
        self._spawn("kube-apiserver", [
            str(TOOLS_BIN / "kube-apiserver"),
            "--bind-address=127.0.0.1", f"--secure-port={p['apiserver']}", f"--advertise-address={gateway.ip}",
            f"--etcd-servers={etcd_url}", f"--service-cluster-ip-range={services}",
            f"--client-ca-file={self.pki / 'ca.crt'}",
            f"--tls-cert-file={self.pki / 'apiserver.crt'}", f"--tls-private-key-file={self.pki / 'apiserver.key'}",
            f"--kubelet-client-certificate={self.pki / 'apiserver-kubelet-client.crt'}",
            f"--kubelet-client-key={self.pki / 'apiserver-kubelet-client.key'}",
            f"--kubelet-certificate-authority={self.pki / 'ca.crt'}",
            "--kubelet-preferred-address-types=Hostname,InternalIP",
            f"--service-account-issuer=https://kubernetes.default.svc.{CLUSTER_DOMAIN}",
            f"--service-account-key-file={self.pki / 'sa.pub'}",
            f"--service-account-signing-key-file={self.pki / 'sa.key'}",
            "--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction",
            "--allow-privileged=true", "--profiling=false", "--anonymous-auth=true",
            "--endpoint-reconciler-type=lease",
        ])
        self._wait("kube-apiserver", self.api_ready, timeout)
        _log(f"kube-apiserver ready ({time.monotonic() - t:.1f} s)")

        t = time.monotonic()
        common = ["--bind-address=127.0.0.1", "--leader-elect=false", "--profiling=false"]
        cm_kubeconfig = self.root / "controller-manager.kubeconfig"
        self._spawn("kube-controller-manager", [
            str(TOOLS_BIN / "kube-controller-manager"), *common, f"--secure-port={p['controller_manager']}",
            f"--kubeconfig={cm_kubeconfig}", f"--authentication-kubeconfig={cm_kubeconfig}",
            f"--authorization-kubeconfig={cm_kubeconfig}",
            f"--cluster-signing-cert-file={self.pki / 'ca.crt'}", f"--cluster-signing-key-file={self.pki / 'ca.key'}",
            f"--root-ca-file={self.pki / 'ca.crt'}", f"--service-account-private-key-file={self.pki / 'sa.key'}",
            "--use-service-account-credentials=true", f"--service-cluster-ip-range={services}",
            f"--cluster-cidr={pods}", "--allocate-node-cidrs=false",
        ])
        sched_kubeconfig = self.root / "scheduler.kubeconfig"
        self._spawn("kube-scheduler", [
            str(TOOLS_BIN / "kube-scheduler"), *common, f"--secure-port={p['scheduler']}",
            f"--kubeconfig={sched_kubeconfig}", f"--authentication-kubeconfig={sched_kubeconfig}",
            f"--authorization-kubeconfig={sched_kubeconfig}",
        ])
        insecure = ssl.create_default_context()
        insecure.check_hostname, insecure.verify_mode = False, ssl.CERT_NONE  # their self-signed serving certs
        self._wait("kube-controller-manager",
                   lambda: _http_ok(f"https://127.0.0.1:{p['controller_manager']}/healthz", insecure), 60)
        self._wait("kube-scheduler", lambda: _http_ok(f"https://127.0.0.1:{p['scheduler']}/healthz", insecure), 60)
        _log(f"controller manager and scheduler ready ({time.monotonic() - t:.1f} s)")

        t = time.monotonic()
        self.kubelet_dir.mkdir(parents=True, exist_ok=True)
        self._spawn("kubelet", [
            str(TOOLS_BIN / "kubelet"), f"--config={self.root / 'kubelet.yaml'}",
            f"--kubeconfig={self.root / 'kubelet.kubeconfig'}", f"--root-dir={self.kubelet_dir}",
            f"--cert-dir={self.pki}", f"--hostname-override={NODE_NAME}", f"--node-ip={gateway.ip}",
        ])
        self._wait("kubelet", self._node_ready, timeout)
        _log(f"kubelet ready, node {NODE_NAME} Ready ({time.monotonic() - t:.1f} s)")

        t = time.monotonic()
        self._spawn("kube-proxy", [
            str(TOOLS_BIN / "kube-proxy"), f"--kubeconfig={self.root / 'kube-proxy.kubeconfig'}",
            f"--hostname-override={NODE_NAME}", f"--cluster-cidr={pods}", "--proxy-mode=iptables",
            f"--healthz-bind-address=127.0.0.1:{p['proxy_healthz']}",
            f"--metrics-bind-address=127.0.0.1:{p['proxy_metrics']}",
            "--nodeport-addresses=127.0.0.1/32",
            # leave the host's conntrack settings alone
            "--conntrack-max-per-core=0", "--conntrack-tcp-timeout-established=0",
            "--conntrack-tcp-timeout-close-wait=0",
        ])
        self._wait("kube-proxy", lambda: _http_ok(f"http://127.0.0.1:{p['proxy_healthz']}/healthz"), 60)
        _log(f"kube-proxy ready ({time.monotonic() - t:.1f} s)")

        t = time.monotonic()
        deadline = time.monotonic() + 60
        while self.kubectl("get", "serviceaccount", "default", "-n", "default", check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise ClusterError("the default service account did not appear within 60 s")
            time.sleep(0.5)
        _log(f"default service account there ({time.monotonic() - t:.1f} s)")
        if COREDNS_IMAGE in archives:
            t = time.monotonic()
            self._install_dns(services, gateway, p)
            _log(f"CoreDNS ready at {services.network_address + 10} ({time.monotonic() - t:.1f} s)")
        else:
            _log("no .tools/bin/coredns (scripts/install-tools.sh kubernetes): the cluster has no DNS")
        self._install_volumes()
        # Every process outlives this command; `down` finds them by their pid files.

    @staticmethod
    def _two_more_ports(taken: dict[str, int]) -> tuple[int, int]:
        chosen: list[int] = []
        while len(chosen) < 2:
            port = ports.free_port()
            if port not in taken.values() and port not in chosen:
                chosen.append(port)
        return chosen[0], chosen[1]

    def _install_dns(self, services: ipaddress.IPv4Network, gateway: ipaddress.IPv4Interface,
                     p: dict[str, int]) -> None:
        """CoreDNS, as the cluster's DNS add-on (kube-dns at the services' .10). It runs in the
        host's network, bound to the node's (bridge) address only, because the apiserver
        listens on 127.0.0.1 alone and a pod on the bridge could not reach it; it reads the API
        with a client certificate of its own (system:coredns), from a Secret."""
        pki = self.pki

        def data(name: str) -> str:
            return base64.b64encode((pki / name).read_bytes()).decode()

        kubeconfig = json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "shop-kube",
            "clusters": [{"name": "shop-kube", "cluster": {"server": f"https://127.0.0.1:{p['apiserver']}",
                                                           "certificate-authority-data": data("ca.crt")}}],
            "users": [{"name": "coredns", "user": {"client-certificate-data": data("coredns.crt"),
                                                   "client-key-data": data("coredns.key")}}],
            "contexts": [{"name": "shop-kube", "context": {"cluster": "shop-kube", "user": "coredns"}}],
        })
        node_ip = str(gateway.ip)
        corefile = f""".:53 {{
    bind {node_ip}
    errors
    health {node_ip}:{p['dns_health']}
    ready {node_ip}:{p['dns_ready']}
    kubernetes {CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {{
        kubeconfig /etc/coredns/kubeconfig shop-kube
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }}
    forward . /etc/resolv.conf
    cache 30
}}
"""
        labels = {"k8s-app": "kube-dns"}
        manifest = {"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
             "metadata": {"name": "system:coredns"},
             "rules": [{"apiGroups": [""], "resources": ["endpoints", "services", "pods", "namespaces"],
                        "verbs": ["list", "watch"]},
                       {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"],
                        "verbs": ["list", "watch"]}]},
            {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
             "metadata": {"name": "system:coredns"},
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:coredns"},
             "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "system:coredns"}]},
            {"apiVersion": "v1", "kind": "Secret",
             "metadata": {"name": "coredns-kubeconfig", "namespace": "kube-system"},
             "stringData": {"kubeconfig": kubeconfig}},
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "coredns", "namespace": "kube-system"},
             "data": {"Corefile": corefile}},
            {"apiVersion": "apps/v1", "kind": "Deployment",
             "metadata": {"name": "coredns", "namespace": "kube-system", "labels": labels},
             "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                      "strategy": {"type": "Recreate"},  # one port on the host: never two at once
                      "template": {"metadata": {"labels": labels}, "spec": {
                          "hostNetwork": True, "dnsPolicy": "Default", "priorityClassName": "system-cluster-critical",
                          "automountServiceAccountToken": False, "terminationGracePeriodSeconds": 5,
                          "containers": [{
                              "name": "coredns", "image": COREDNS_IMAGE, "imagePullPolicy": "Never",
                              "args": ["-conf", "/etc/coredns/Corefile"],
                              "securityContext": {"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False,
                                                  "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}},
                              "volumeMounts": [{"name": "config", "mountPath": "/etc/coredns", "readOnly": True}],
                              "readinessProbe": {"httpGet": {"path": "/ready", "port": p["dns_ready"]},
                                                 "periodSeconds": 1},
                              "livenessProbe": {"httpGet": {"path": "/health", "port": p["dns_health"]},
                                                "periodSeconds": 10}}],
                          "volumes": [{"name": "config", "projected": {"sources": [
                              {"configMap": {"name": "coredns"}}, {"secret": {"name": "coredns-kubeconfig"}}]}}],
                      }}}},
            {"apiVersion": "v1", "kind": "Service",
             "metadata": {"name": "kube-dns", "namespace": "kube-system", "labels": labels},
             "spec": {"selector": labels, "clusterIP": str(services.network_address + 10),
                      "ports": [{"name": "dns", "port": 53, "protocol": "UDP"},
                                {"name": "dns-tcp", "port": 53, "protocol": "TCP"}]}},
        ]}
        self.kubectl("apply", "-f", "-", input=json.dumps(manifest))
        self.kubectl("-n", "kube-system", "rollout", "status", "deployment/coredns", "--timeout=120s", timeout=150)

    def _install_volumes(self, count: int = VOLUMES, size: str = "10Gi") -> None:
        """Persistent volumes for the shop's claims (PostgreSQL's and RabbitMQ's, and the fault
        flags' that every pod mounts): directories under ROOT/volumes, offered as hostPath
        volumes of no storage class, which a claim of no class binds to. On one node a
        directory serves many pods at once, so they are offered ReadWriteMany too. hostPath
        gets no fsGroup ownership, so each directory is writable by all; the node is this
        machine and the directories go at `down`."""
        items = []
        for n in range(count):
            directory = self.volumes / f"pv-{n}"
            directory.mkdir(parents=True, exist_ok=True)
            directory.chmod(0o777)
            items.append({"apiVersion": "v1", "kind": "PersistentVolume",
                          "metadata": {"name": f"local-{n}", "labels": {"shop.local/volume": "hostpath"}},
                          "spec": {"capacity": {"storage": size}, "accessModes": ["ReadWriteOnce", "ReadWriteMany"],
                                   "persistentVolumeReclaimPolicy": "Retain", "storageClassName": "",
                                   "hostPath": {"path": str(directory), "type": "Directory"}}})
        self.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
        _log(f"{count} persistent volumes of {size} under {self.volumes}")

    def _node_ready(self) -> bool:
        result = self.kubectl("get", "node", NODE_NAME, "-o",
                              "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}", check=False, timeout=20)
        return result.returncode == 0 and result.stdout.strip() == "True"

    # -- stopping ------------------------------------------------------------------------------
    def _stop(self, name: str, grace: float = 30.0) -> None:
        pid_file = self.pids / f"{name}.pid"
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            return
        binary = {"etcd": ETCD, "containerd": CONTAINERD}.get(name, name)
        if _alive(pid, binary):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and _alive(pid, binary):
                time.sleep(0.2)
            if _alive(pid, binary):
                _log(f"{name} did not stop within {grace:.0f} s: killing it")
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                time.sleep(0.5)
        child = getattr(self, "_children", {}).get(name)
        if child is not None:
            with contextlib.suppress(Exception):
                child.wait(5)
        pid_file.unlink(missing_ok=True)

    def _running(self, name: str) -> bool:
        with contextlib.suppress(OSError, ValueError):
            pid = int((self.pids / f"{name}.pid").read_text().strip())
            return _alive(pid, {"etcd": ETCD, "containerd": CONTAINERD}.get(name, name))
        return False

    def down(self, _holding_lock: bool = False) -> None:
        """Stop everything in order and remove what it made outside its root (see the module's doc)."""
        if os.geteuid() != 0:
            raise ClusterError("stopping the local cluster needs root")
        holder = _lock_holder()
        if not _holding_lock and holder and holder != str(self.root):
            raise ClusterError(f"the cluster running on this machine is {holder}'s, not {self.root}'s: "
                               "stopping this one would clean up after that one")
        started = time.monotonic()
        for name in ("kube-scheduler", "kube-controller-manager"):
            self._stop(name)
        if self._running("kubelet") and self._running("kube-apiserver") and self.api_ready():
            # Graceful deletion: the kubelet stops each pod's containers, then its sandbox, whose
            # network (CNI DEL) and mounts go with it.
            result = self.kubectl("delete", "pods", "--all", "--all-namespaces", "--wait=true", "--timeout=90s",
                                  check=False, timeout=120)
            if result.returncode != 0:
                _log(f"deleting the pods failed: {result.stderr.strip()}")
            deadline = time.monotonic() + 60
            while self._running("containerd") and time.monotonic() < deadline:
                if not self.ctr("tasks", "list", "-q", check=False).stdout.strip():
                    break
                time.sleep(0.5)
        self._stop("kubelet")
        self._stop("kube-proxy")
        if (TOOLS_BIN / "kube-proxy").exists():
            # the rules of every mode it may have used (iptables, ipvs, nftables)
            subprocess.run([str(TOOLS_BIN / "kube-proxy"), "--cleanup"], capture_output=True, timeout=60)
        if self._running("containerd"):
            leftover = self.ctr("tasks", "list", "-q", check=False).stdout.split()
            for task in leftover:  # pods the kubelet did not stop: no network teardown for these
                _log(f"killing the container {task}, which was still running")
                self.ctr("tasks", "kill", "--signal", "SIGKILL", task, check=False)
            if leftover:
                time.sleep(1)
                for task in leftover:
                    self.ctr("tasks", "delete", "--force", task, check=False)
        self._stop("containerd")
        self._stop("kube-apiserver")
        self._stop("etcd")
        self._cleanup(keep_lock=_holding_lock)
        _log(f"cluster on {self.root} down ({time.monotonic() - started:.1f} s)")

    def _shims(self) -> list[int]:
        """containerd-shim processes of this cluster's containerd (they outlive it by design)."""
        found = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                argv = (proc / "cmdline").read_bytes().split(b"\0")
                if argv and Path(argv[0].decode(errors="replace")).name.startswith("containerd-shim") and \
                        str(self.socket).encode() in argv:
                    found.append(int(proc.name))
        return found

    def _cleanup(self, keep_lock: bool = False) -> None:
        # Containers of a cluster that was killed: runc (whose state is under the run directory)
        # kills them and removes their cgroups; their shims go next.
        for state in sorted((self.run_dir / "runc").glob("*")) if (self.run_dir / "runc").is_dir() else ():
            listed = subprocess.run([RUNC, "--root", str(state), "list", "-q"], capture_output=True, text=True)
            for container in listed.stdout.split():
                _log(f"removing the container {container}, left running")
                subprocess.run([RUNC, "--root", str(state), "delete", "--force", container], capture_output=True)
        for pid in self._shims():
            _log(f"killing a containerd shim left behind (pid {pid})")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for name in PROCESSES:  # anything of ours still running (a killed `up`)
            if self._running(name):
                self._stop(name, grace=10)
        host.unmount_under((self.root, self.run_dir))
        host.delete_bridge(self.bridge)
        _forward_rules(self.bridge, "-D")
        shutil.rmtree(self.run_dir, ignore_errors=True)
        shutil.rmtree(self.volumes, ignore_errors=True)
        shutil.rmtree(self.kubelet_dir, ignore_errors=True)
        _remove_kube_chains()
        for name, value in self.state.get("sysctls", {}).items():
            with contextlib.suppress(OSError):
                path = Path(f"/proc/sys/{name}")
                if path.read_text().strip() != value:
                    path.write_text(value)
        for path in self.state.get("created_paths", []):
            shutil.rmtree(path, ignore_errors=True)
        for cgroup in self.state.get("created_cgroups", []):
            with contextlib.suppress(OSError):
                os.rmdir(cgroup)  # empty once runc has removed each container's
        if self._lock_fd is not None and not keep_lock:
            os.close(self._lock_fd)
            self._lock_fd = None
        if not keep_lock:  # the lock file too, once no process of a cluster holds it
            with contextlib.suppress(OSError):
                fd = os.open(MACHINE_LOCK, os.O_RDWR)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    os.unlink(MACHINE_LOCK)
                finally:
                    os.close(fd)

    # -- proof ---------------------------------------------------------------------------------
    def smoke(self, timeout: float = 120.0) -> None:
        """A pod of the probe stand-in, on the CNI network, Ready through its HTTP readiness
        probe; reached at its pod IP and through a ClusterIP service (kube-proxy); then deleted."""
        if not self.api_ready():
            raise ClusterError(f"no cluster answers on {self.root}: `python -m devstack.kube up` first")
        # a name of its own each run: CoreDNS caches the answers for a previous run's service
        name = f"shop-kube-smoke-{os.urandom(3).hex()}"
        manifest = {"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default",
                                                             "labels": {"app": name}},
             "spec": {"automountServiceAccountToken": False, "terminationGracePeriodSeconds": 5,
                      "securityContext": {"runAsNonRoot": True, "runAsUser": 10001},
                      "containers": [{"name": "probe", "image": PROBE_IMAGE, "imagePullPolicy": "Never",
                                      "ports": [{"containerPort": 8080}],
                                      "securityContext": {"readOnlyRootFilesystem": True,
                                                          "allowPrivilegeEscalation": False},
                                      "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080},
                                                         "periodSeconds": 1},
                                      "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080},
                                                        "periodSeconds": 5}}]}},
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "default"},
             "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]}},
        ]}
        started = time.monotonic()
        self.kubectl("apply", "-f", "-", input=json.dumps(manifest))
        try:
            self.kubectl("wait", "--for=condition=Ready", f"pod/{name}", f"--timeout={timeout:.0f}s",
                         timeout=timeout + 30)
            ready = time.monotonic() - started
            pod = json.loads(self.kubectl("get", "pod", name, "-o", "json").stdout)
            pod_ip = pod["status"]["podIP"]
            if ipaddress.ip_address(pod_ip) not in ipaddress.ip_network(self.state["pods"]):
                raise ClusterError(f"pod IP {pod_ip} is not on the CNI bridge's network {self.state['pods']}")
            with urllib.request.urlopen(f"http://{pod_ip}:8080/", timeout=5) as response:
                body = response.read().decode().strip()
            if body != name:
                raise ClusterError(f"the pod at {pod_ip} answered {body!r}, not its name")
            _log(f"pod {name} Ready in {ready:.1f} s (HTTP readiness probe), IP {pod_ip} on the CNI bridge "
                 f"{self.state['bridge']}, answers over HTTP")
            cluster_ip = self.kubectl("get", "service", name, "-o", "jsonpath={.spec.clusterIP}").stdout.strip()
            deadline, body = time.monotonic() + 30, ""
            while time.monotonic() < deadline:
                with contextlib.suppress(OSError):
                    with urllib.request.urlopen(f"http://{cluster_ip}:80/", timeout=3) as response:
                        body = response.read().decode().strip()
                        break
                time.sleep(0.5)
            if body != name:
                raise ClusterError(f"the service's cluster IP {cluster_ip} did not reach the pod (kube-proxy)")
            _log(f"service {name} at {cluster_ip}:80 reaches the pod (kube-proxy, iptables)")
            if self.kubectl("-n", "kube-system", "get", "service", "kube-dns", check=False).returncode == 0:
                fqdn = f"{name}.default.svc.{CLUSTER_DOMAIN}"
                with urllib.request.urlopen(f"http://{pod_ip}:8080/resolve?name={fqdn}", timeout=10) as response:
                    found = response.read().decode().split()
                if found != [cluster_ip]:
                    raise ClusterError(f"in the pod, {fqdn} resolved to {found}, not {cluster_ip}")
                # (the short name is the pod's own host name, in its /etc/hosts)
                url = urllib.parse.quote(f"http://{fqdn}/", safe="")
                with urllib.request.urlopen(f"http://{pod_ip}:8080/get?url={url}", timeout=10) as response:
                    body = response.read().decode().strip()
                if body != name:
                    raise ClusterError(f"the pod reached http://{fqdn}/ (itself, through its service) with {body!r}")
                _log(f"in the pod, CoreDNS resolves {fqdn} to {cluster_ip}, and http://{fqdn}/ "
                     "reaches the pod through its service")
            else:
                _log("no kube-dns service: DNS not tested")
            uid = self.kubectl("get", "pod", name, "-o",
                               "jsonpath={.spec.securityContext.runAsUser}").stdout.strip()
            _log(f"pod runs as uid {uid} with a read-only root file system")
        finally:
            self.kubectl("delete", "-f", "-", "--wait=true", "--timeout=60s", input=json.dumps(manifest),
                         check=False, timeout=90)
        _log(f"smoke test passed in {time.monotonic() - started:.1f} s (pod and service deleted)")


def _lock_holder() -> str | None:
    """The root of the cluster that runs on this machine, or None."""
    with contextlib.suppress(FileNotFoundError):
        fd = os.open(MACHINE_LOCK, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return Path(MACHINE_LOCK).read_text().strip() or "?"
        finally:
            os.close(fd)
    return None


def _forward_rules(bridge: str, action: str) -> None:
    """Let the pods' traffic through the host's FORWARD chain, whose policy a Docker engine
    on the same host sets to DROP: bridged packets pass through iptables (br_netfilter), so
    a pod calling another pod, directly or through a service, is forwarded. `-I` adds the
    two rules (in, out of the cluster's bridge), `-D` removes every copy of them."""
    for rule in (["-i", bridge], ["-o", bridge]):
        argv = ["iptables", "-w", action, "FORWARD", *rule, "-m", "comment", "--comment", "shop-kube", "-j", "ACCEPT"]
        if action == "-I":
            subprocess.run(argv, check=True, capture_output=True)
        else:
            while subprocess.run(argv, capture_output=True).returncode == 0:
                pass


def _remove_kube_chains() -> None:
    """KUBE-* chains kube-proxy --cleanup leaves (the kubelet's KUBE-KUBELET-CANARY, and any
    of a kube-proxy that was killed), in iptables and ip6tables."""
    for save, command in (("iptables-save", "iptables"), ("ip6tables-save", "ip6tables")):
        if not shutil.which(save):
            continue
        dump = subprocess.run([save], capture_output=True, text=True).stdout
        table, chains, jumps = None, {}, []
        for line in dump.splitlines():
            if line.startswith("*"):
                table = line[1:]
            elif line.startswith(":KUBE-"):
                chains.setdefault(table, []).append(line[1:].split()[0])
            elif line.startswith("-A ") and " KUBE-" in line and not line.split()[1].startswith("KUBE-"):
                jumps.append((table, line))
        for table, line in jumps:  # rules of the built-in chains that jump to ours
            subprocess.run([command, "-t", table, "-D", *line.split()[1:]], capture_output=True)
        for table, names in chains.items():
            for name in names:
                subprocess.run([command, "-t", table, "-F", name], capture_output=True)
            for name in names:
                subprocess.run([command, "-t", table, "-X", name], capture_output=True)


def root_from(argv: list[str]) -> Path:
    return Path(argv[0]) if argv else Path(os.environ.get(ROOT_ENV, DEFAULT_ROOT))


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("", [])
    cluster = Cluster(root_from(rest))
    try:
        if command == "up":
            if cluster.api_ready():
                print(f"the local cluster on {cluster.root} already runs")
                return 0
            cluster.up()
            return 0
        if command == "down":
            cluster.down()
            return 0
        if command == "smoke":
            cluster.smoke()
            return 0
        if command == "env":
            print(f"export KUBECONFIG={cluster.kubeconfig} PATH={TOOLS_BIN}:$PATH")
            return 0
    except (ClusterError, urllib.error.URLError) as error:
        print(f"kube: error: {error}", file=sys.stderr)
        return 1
    print("usage: python -m devstack.kube up|down|smoke|env [ROOT]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
