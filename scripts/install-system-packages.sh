#!/usr/bin/env bash
# Installs the Debian packages the shop needs: PostgreSQL 15, Redis and RabbitMQ for the local
# stack, patch for building KrakenD (scripts/install-tools.sh), wrk for `make bench`'s HTTP rows,
# chromium for the website's end-to-end tests (driven by Playwright, which downloads no browser),
# prometheus (Debian's 2.42, with promtool) for the observability configuration's tests, which
# run it as a private, loopback-only process (tests/integration/test_prometheus_dashboard.py);
# docker.io (Debian's Docker Engine 20.10, with containerd and runc) and mmdebstrap for the
# containerised shop's tests, which run a private dockerd of their own and build the stand-in
# base images from Debian packages (devstack/docker.py, deploy/standins/); python3.11-venv so
# a test can build the runtime from Debian's own Python 3.11, the one the README names;
# etcd-server and containernetworking-plugins (with docker.io's containerd and runc) for the
# local Kubernetes that devstack/kube.py builds from source and runs (`make k8s-up`).
#
# Idempotent: does nothing (and touches no network) when every package is already installed.
# The shop runs its own private PostgreSQL, Redis and RabbitMQ instances, so the system-wide
# services these packages would normally start are kept from starting (policy-rc.d) and any
# that got started anyway are stopped again.
set -euo pipefail

PACKAGES=(postgresql-15 postgresql-client-15 redis-server rabbitmq-server patch wrk chromium prometheus
          docker.io mmdebstrap python3.11-venv etcd-server containernetworking-plugins)

log() { printf 'install-system-packages: %s\n' "$*"; }

if [[ $(id -u) -eq 0 ]]; then
    SUDO=()
else
    command -v sudo >/dev/null 2>&1 || {
        log "not root and sudo is missing: cannot install ${PACKAGES[*]}" >&2
        exit 1
    }
    SUDO=(sudo)
fi

is_installed() {
    [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true) == "install ok installed" ]]
}

missing=()
for pkg in "${PACKAGES[@]}"; do
    if is_installed "$pkg"; then
        log "$pkg already installed"
    else
        missing+=("$pkg")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

log "installing ${missing[*]}"

# System services that these packages come with (prometheus's would listen on every
# interface, on 9090). The rabbitmq-server init script's "status" runs rabbitmqctl, which
# itself starts an epmd daemon, so its pid file is checked instead.
SERVICES=(postgresql redis-server rabbitmq-server epmd prometheus docker containerd etcd)
pid_alive() { [[ -e $1 ]] && "${SUDO[@]}" kill -0 "$("${SUDO[@]}" cat "$1")" 2>/dev/null; }
system_epmd_pids() {
    # Live (not zombie) epmd daemons of the rabbitmq system user on the default port 4369; a
    # private node's epmd on its own port (ERL_EPMD_PORT or -port) is left alone.
    id rabbitmq >/dev/null 2>&1 || return 0
    local pid port
    for pid in $(ps -u rabbitmq -o pid=,stat=,comm= | awk '$2 !~ /^Z/ && $3 == "epmd" { print $1 }'); do
        port=$("${SUDO[@]}" cat "/proc/$pid/environ" 2>/dev/null | tr '\0' '\n' |
            sed -n 's/^ERL_EPMD_PORT=//p' || true)
        if "${SUDO[@]}" cat "/proc/$pid/cmdline" 2>/dev/null | tr '\0' '\n' | grep -qx -- '-port'; then
            port=custom
        fi
        if [[ -z $port || $port == 4369 ]]; then
            echo "$pid"
        fi
    done
}
service_running() {
    case $1 in
        postgresql) [[ -x /etc/init.d/postgresql ]] && "${SUDO[@]}" service postgresql status >/dev/null 2>&1 ;;
        redis-server) pid_alive /run/redis/redis-server.pid ;;
        rabbitmq-server) pid_alive /run/rabbitmq/pid ;;
        prometheus) pid_alive /run/prometheus/prometheus.pid ;;
        docker) pid_alive /var/run/docker.pid ;;
        etcd) [[ -n $(pgrep -u etcd -x etcd 2>/dev/null || true) ]] ;;  # the system unit's user
        containerd) [[ -n $(pgrep -x -f '/usr/bin/containerd' 2>/dev/null || true) ]] ;;
        epmd) [[ -n $(system_epmd_pids) ]] ;;
    esac
}
stop_service() {
    case $1 in
        epmd) # the Erlang port mapper the rabbitmq package may leave behind, as its system user
            for pid in $(system_epmd_pids); do "${SUDO[@]}" kill "$pid" 2>/dev/null || true; done ;;
        *) "${SUDO[@]}" service "$1" stop || true ;;
    esac
    if [[ $1 != epmd ]] && command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
        "${SUDO[@]}" systemctl stop "$1" 2>/dev/null || true
    fi
}
declare -A running_before=()
for svc in "${SERVICES[@]}"; do
    if service_running "$svc"; then running_before[$svc]=1; else running_before[$svc]=0; fi
done

# Keep the packages' maintainer scripts from starting system services: invoke-rc.d and
# deb-systemd-invoke honour /usr/sbin/policy-rc.d, and exit code 101 means "action forbidden".
POLICY=/usr/sbin/policy-rc.d
created_policy=0
cleanup() {
    if [[ $created_policy -eq 1 ]]; then
        "${SUDO[@]}" rm -f "$POLICY"
    fi
}
trap cleanup EXIT
if [[ ! -e $POLICY ]]; then
    printf '#!/bin/sh\n# temporary, written by install-system-packages.sh\nexit 101\n' |
        "${SUDO[@]}" tee "$POLICY" >/dev/null
    "${SUDO[@]}" chmod 755 "$POLICY"
    created_policy=1
fi

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"

cleanup
created_policy=0

# Belt and braces: stop any system-wide instance that the install started anyway (one that
# was not running before it). The checks look only at the system services' own pid files,
# clusters and system user, never at the shop's private instances, and run nothing that
# would itself start something.
for svc in "${SERVICES[@]}"; do
    if [[ ${running_before[$svc]} -eq 0 ]] && service_running "$svc"; then
        log "stopping system service $svc started by the install"
        stop_service "$svc"
    fi
done

# Debian's prometheus would also start at every boot, on *:9090, the port docker compose's
# Prometheus publishes on loopback; the tests run a private one. So it is kept from booting
# (disabled, not removed; `systemctl enable prometheus` undoes it).
if [[ " ${missing[*]} " == *" prometheus "* ]]; then
    log "disabling the system prometheus service at boot"
    # update-rc.d also removes the systemd unit's multi-user.target.wants link.
    "${SUDO[@]}" update-rc.d prometheus disable >/dev/null 2>&1 || true
fi

log "done"
