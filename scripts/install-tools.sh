#!/usr/bin/env bash
# Installs the command-line tools the shop's build, tests and benchmarks use, at pinned
# versions, into a project-local tools directory (default: <repo>/.tools, gitignored):
#
#   buf       from the npm registry (@bufbuild/buf)
#   krakend   KrakenD CE, built from its Go module (see install_krakend)
#   grpcurl   built with `go install`
#   ghz       built with `go install`
#   kustomize built with `go install` (builds deploy/k8s for its tests)
#   otelcol   the OpenTelemetry collector, built by its builder (see install_otelcol)
#   docker-compose  Docker Compose, built from its Go module (see install_compose); also a
#             docker CLI plugin for DOCKER_CONFIG=$TOOLS_DIR/docker (`docker compose`)
#   mailpit   built from its Go module with its web UI from npm (see install_mailpit)
#   jaeger-all-in-one  Jaeger's all-in-one backend, built from its Go module (see install_jaeger)
#
# Only when asked for by name (`scripts/install-tools.sh kubernetes`), never by default:
#   kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl
#             Kubernetes built from its Go module (see install_kubernetes), and coredns
#             (see install_coredns), for the local cluster of devstack/kube.py
#
# Idempotent and fast when everything is present: each tool has a version stamp and is only
# (re)built when the stamp or the binary is missing or names another version. Go's module and
# build caches stay in their default places, so a second build on the same machine is quick.
#
# Environment:
#   TOOLS_DIR         where to install (default: <repo>/.tools); binaries go to $TOOLS_DIR/bin
#
# Any build failure stops here.
set -euo pipefail

# Pinned versions: the single source of truth (tests read KRAKEND_VERSION from here).
BUF_VERSION=1.75.0
KRAKEND_VERSION=1.4.1
KRAKEND_BUILD=+shop.7  # this project's build of it: krakend/build/build.sh
GRPCURL_VERSION=1.9.4
GHZ_VERSION=0.120.0
# 5.8.3, the newest, needs Go 1.27; 5.8.2 builds with the Go here (1.26).
KUSTOMIZE_VERSION=5.8.2
# The release of docker compose's otel-collector image (otel/opentelemetry-collector:0.111.0);
# deploy/observability/otelcol-builder.yaml names its components at this version.
OTELCOL_VERSION=0.111.0
# Docker Compose, for the containers (devstack/containers.py runs .tools/bin/docker-compose).
COMPOSE_VERSION=5.6.0
COMPOSE_MODULE=github.com/docker/compose/v5
# The mail catcher the compose file runs. The Go module proxy reachable here refuses v1.21.8
# (403) and serves only v1.27.11 and v1.33.1: this is the closer of the two.
MAILPIT_VERSION=1.27.11
MAILPIT_MODULE=github.com/axllent/mailpit
# The tracing backend the compose file runs (jaegertracing/all-in-one:1.62.0): the proxy
# reachable here serves that release.
JAEGER_VERSION=1.62.0
JAEGER_MODULE=github.com/jaegertracing/jaeger
# The local Kubernetes cluster (devstack/kube.py): its binaries, from k8s.io/kubernetes, and
# the staging modules it names, published as k8s.io/* v0.<minor>.<patch>.
KUBERNETES_VERSION=1.37.2
KUBERNETES_MODULE=k8s.io/kubernetes
KUBERNETES_STAGING_VERSION=0.37.2
KUBERNETES_BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
COREDNS_VERSION=1.15.0
COREDNS_MODULE=github.com/coredns/coredns

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS_DIR=${TOOLS_DIR:-$REPO_DIR/.tools}
BIN_DIR=$TOOLS_DIR/bin
STAMP_DIR=$TOOLS_DIR/stamps
mkdir -p "$BIN_DIR" "$STAMP_DIR"

log() { printf 'install-tools: %s\n' "$*"; }
die() { printf 'install-tools: error: %s\n' "$*" >&2; exit 1; }

# One run at a time per tools directory (make targets may call this concurrently).
exec 9>"$TOOLS_DIR/.install.lock"
flock 9

stamp_ok() {  # stamp_ok NAME VERSION: the binary is there and was built at that version
    [[ -x $BIN_DIR/$1 && -f $STAMP_DIR/$1 && $(<"$STAMP_DIR/$1") == "$2" ]]
}

find_go() {
    if command -v go >/dev/null 2>&1; then
        command -v go
    elif [[ -x /usr/local/go/bin/go ]]; then
        echo /usr/local/go/bin/go
    else
        die "Go is needed to build the Go tools and was not found (PATH or /usr/local/go/bin)"
    fi
}

# go_install NAME PACKAGE VERSION BUILT_NAME LDFLAGS: builds PACKAGE@vVERSION into a scratch
# directory, then moves the binary into place as NAME, so a failed build leaves nothing behind.
go_install() {
    local name=$1 pkg=$2 version=$3 built=$4 ldflags=$5 go scratch start
    go=$(find_go)
    scratch=$(mktemp -d "$TOOLS_DIR/.build-$name.XXXXXX")
    start=$SECONDS
    if ! GOBIN=$scratch "$go" install -trimpath -ldflags "$ldflags" "$pkg@v$version"; then
        rm -rf "$scratch"
        return 1
    fi
    mv -f "$scratch/$built" "$BIN_DIR/$name"
    rm -rf "$scratch"
    printf '%s\n' "$version" >"$STAMP_DIR/$name"
    log "$name $version: installed (built in $((SECONDS - start))s)"
}

# go_module_copy MODULE@VERSION SCRATCH: copies the module's source, as the Go module proxy
# serves it, to SCRATCH/src (made writable). On failure it says why (the proxy's answer),
# removes SCRATCH and stops the script.
go_module_copy() {
    local go json dir
    go=$(find_go)
    json=$(cd "$TOOLS_DIR" && GOWORK=off "$go" mod download -json "$1") || true
    dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p' <<<"$json")
    if [[ -z $dir || ! -d $dir ]]; then
        printf '%b\n' "$(sed -n 's/^[[:space:]]*"Error": "\(.*\)",*$/\1/p' <<<"$json")" >&2
        rm -rf "$2"
        die "the Go module proxy did not give $1"
    fi
    cp -R "$dir" "$2/src" && chmod -R u+w "$2/src"
}

# --- buf (npm) ------------------------------------------------------------------------------
install_buf() {
    local node_dir=$TOOLS_DIR/node pkg_json installed=""
    pkg_json=$node_dir/node_modules/@bufbuild/buf/package.json
    if [[ -f $pkg_json ]]; then
        installed=$(node -p "require(process.argv[1]).version" "$pkg_json" 2>/dev/null || true)
    fi
    if [[ $installed == "$BUF_VERSION" && -x $node_dir/node_modules/.bin/buf ]]; then
        log "buf $BUF_VERSION: already present"
    else
        command -v npm >/dev/null 2>&1 || die "npm is needed to install buf and was not found"
        mkdir -p "$node_dir"
        npm install --prefix "$node_dir" --save-exact --no-audit --no-fund --loglevel=error \
            "@bufbuild/buf@$BUF_VERSION"
        log "buf $BUF_VERSION: installed"
    fi
    ln -sfn "../node/node_modules/.bin/buf" "$BIN_DIR/buf"
    printf '%s\n' "$BUF_VERSION" >"$STAMP_DIR/buf"
}

# --- KrakenD CE -----------------------------------------------------------------------------
# KrakenD CE 1.4.1 (github.com/devopsfaith/krakend-ce), the one KrakenD CE release the Go
# module proxy reachable here serves: it answers 403 for every github.com/krakend/krakend-ce/v2
# version and for every other v1 release (docs/decisions/0005-krakend-ce-1.4.md). Built by
# krakend/build/build.sh, with the changes it states; krakend/Dockerfile builds the image's
# binary with the same script. The stamp carries a build suffix so a change to those steps
# rebuilds it.
install_krakend() {
    if stamp_ok krakend "$KRAKEND_VERSION$KRAKEND_BUILD"; then
        log "krakend $KRAKEND_VERSION$KRAKEND_BUILD: already present"
        return 0
    fi
    local start=$SECONDS
    log "krakend $KRAKEND_VERSION: building from its Go module (takes a few minutes the first time)"
    GO=$(find_go) TMPDIR=$TOOLS_DIR "$REPO_DIR/krakend/build/build.sh" "$KRAKEND_VERSION" "$BIN_DIR/krakend" ||
        die "krakend $KRAKEND_VERSION could not be built (see the go error above)"
    rm -f "$STAMP_DIR/krakend.refused"
    printf '%s\n' "$KRAKEND_VERSION$KRAKEND_BUILD" >"$STAMP_DIR/krakend"
    log "krakend $KRAKEND_VERSION: installed (built in $((SECONDS - start))s)"
}

# --- grpcurl --------------------------------------------------------------------------------
# Its release build sets main.version to "v<version>" (.goreleaser.yml).
install_grpcurl() {
    if stamp_ok grpcurl "$GRPCURL_VERSION"; then
        log "grpcurl $GRPCURL_VERSION: already present"
        return 0
    fi
    go_install grpcurl github.com/fullstorydev/grpcurl/cmd/grpcurl "$GRPCURL_VERSION" grpcurl \
        "-X main.version=v$GRPCURL_VERSION" || die "grpcurl $GRPCURL_VERSION could not be built"
}

# --- ghz ------------------------------------------------------------------------------------
# cmd/ghz/main.go has `version = "dev"`, set at release by goreleaser (main.version={{.Version}}).
install_ghz() {
    if stamp_ok ghz "$GHZ_VERSION"; then
        log "ghz $GHZ_VERSION: already present"
        return 0
    fi
    go_install ghz github.com/bojand/ghz/cmd/ghz "$GHZ_VERSION" ghz \
        "-X main.version=$GHZ_VERSION" || die "ghz $GHZ_VERSION could not be built"
}

# --- kustomize ------------------------------------------------------------------------------
# Its version comes from the module's build information (`kustomize version`): no ldflags.
install_kustomize() {
    if stamp_ok kustomize "$KUSTOMIZE_VERSION"; then
        log "kustomize $KUSTOMIZE_VERSION: already present"
        return 0
    fi
    go_install kustomize sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION" kustomize "" ||
        die "kustomize $KUSTOMIZE_VERSION could not be built"
}

# --- the OpenTelemetry collector ----------------------------------------------------------
# The tests validate and run deploy/observability/otel-collector.yaml with a collector of the
# compose image's release. Its own module, cmd/otelcorecol, has replace directives, so
# `go install` refuses it; a collector is built the documented way instead: the OpenTelemetry
# Collector Builder (`builder`, "ocb") of the same release turns a manifest listing the
# components (deploy/observability/otelcol-builder.yaml) into sources and compiles them. Its
# strict version checks are on: the core must resolve to the release, and each component to
# the version the manifest names (tests/unit/test_observability_config.py keeps those at the
# release). The builder is only needed for this and is not kept. The stamp carries the
# manifest's hash, so a change to the manifest rebuilds the collector.
install_otelcol() {
    local manifest=$REPO_DIR/deploy/observability/otelcol-builder.yaml stamp go scratch start
    stamp="$OTELCOL_VERSION+$(sha256sum "$manifest" | cut -c1-12)"
    if stamp_ok otelcol "$stamp"; then
        log "otelcol $stamp: already present"
        return 0
    fi
    grep -qxF "  version: $OTELCOL_VERSION" "$manifest" ||
        die "$manifest does not build version $OTELCOL_VERSION (dist: version)"
    go=$(find_go)
    start=$SECONDS
    scratch=$(mktemp -d "$TOOLS_DIR/.build-otelcol.XXXXXX")
    log "otelcol $OTELCOL_VERSION: building with the collector builder (a minute or so the first time)"
    if ! GOBIN=$scratch "$go" install -trimpath "go.opentelemetry.io/collector/cmd/builder@v$OTELCOL_VERSION" ||
       ! (cd "$scratch" && PATH="$(dirname "$go"):$PATH" ./builder --config="$manifest" \
            --skip-strict-versioning=false >"$scratch/builder.log" 2>&1); then
        [[ -f $scratch/builder.log ]] && tail -n 30 "$scratch/builder.log" >&2
        rm -rf "$scratch"
        die "otelcol $OTELCOL_VERSION could not be built"
    fi
    mv -f "$scratch/_build/otelcol" "$BIN_DIR/otelcol"
    rm -rf "$scratch"
    printf '%s\n' "$stamp" >"$STAMP_DIR/otelcol"
    log "otelcol $OTELCOL_VERSION: installed (built in $((SECONDS - start))s)"
}

# --- Docker Compose -------------------------------------------------------------------------
# Docker Compose v5 (github.com/docker/compose/v5), the `docker compose` plugin. Its go.mod has
# exclude directives, so `go install module@version` refuses it; it is built the way its
# Makefile's `build` target and its release Dockerfile build it, from the module's source as
# the proxy serves it: `go build -trimpath ./cmd`, CGO_ENABLED=0 (a static binary), and
# `-w -X .../internal.Version=v<version>` (the tag `git describe` gives there), so that
# `docker-compose version` says "Docker Compose version v<version>". Their build tag e2e is
# left out: it only selects the end-to-end tests.
# As a docker CLI plugin: $TOOLS_DIR/docker/cli-plugins/docker-compose, a relative symlink to
# bin/docker-compose, so that `DOCKER_CONFIG=$TOOLS_DIR/docker docker compose ...` finds it
# (the docker client looks for plugins in $DOCKER_CONFIG/cli-plugins; devstack/docker.py sets
# that DOCKER_CONFIG). The link is made on every run, so a removed one comes back.
install_compose() {
    if stamp_ok docker-compose "$COMPOSE_VERSION"; then
        log "docker-compose $COMPOSE_VERSION: already present"
    else
        local go scratch start
        go=$(find_go)
        start=$SECONDS
        scratch=$(mktemp -d "$TOOLS_DIR/.build-docker-compose.XXXXXX")
        log "docker-compose $COMPOSE_VERSION: building from its Go module" \
            "(a few minutes the first time)"
        go_module_copy "$COMPOSE_MODULE@v$COMPOSE_VERSION" "$scratch"
        if ! (cd "$scratch/src" && GOWORK=off CGO_ENABLED=0 "$go" build -trimpath \
                -ldflags "-w -X $COMPOSE_MODULE/internal.Version=v$COMPOSE_VERSION" \
                -o "$scratch/docker-compose" ./cmd >"$scratch/build.log" 2>&1); then
            tail -n 30 "$scratch/build.log" >&2
            rm -rf "$scratch"
            die "docker-compose $COMPOSE_VERSION could not be built (see the go error above)"
        fi
        mv -f "$scratch/docker-compose" "$BIN_DIR/docker-compose"
        rm -rf "$scratch"
        printf '%s\n' "$COMPOSE_VERSION" >"$STAMP_DIR/docker-compose"
        log "docker-compose $COMPOSE_VERSION: installed (built in $((SECONDS - start))s)"
    fi
    mkdir -p "$TOOLS_DIR/docker/cli-plugins"
    ln -sfn ../../bin/docker-compose "$TOOLS_DIR/docker/cli-plugins/docker-compose"
}

# --- Mailpit --------------------------------------------------------------------------------
# Mailpit (github.com/axllent/mailpit), the binary of the compose file's mail catcher; its
# stand-in image (deploy/standins/mailpit) copies it in. Its version is MAILPIT_VERSION above:
# the proxy refuses v1.21.8, the release docker-compose.yml named at first.
# The module has the web UI's sources (server/ui-src) but not the bundle that the binary embeds
# (server/ui/dist, made by esbuild and gitignored upstream), so it is built the way its release
# Dockerfile builds it: the npm packages (`npm ci`, from its package-lock.json, where the
# Dockerfile has `npm install`), `npm run package`, then
# `go build` with CGO_ENABLED=0 (a static binary: its SQLite is modernc.org's, in Go) and
# `-s -w -X .../config.Version=v<version>` (its release builds set the tag there), so that
# `mailpit version` says v<version>. npm runs with --ignore-scripts: the bundle needs none of
# the install scripts (esbuild's binary comes as an npm package of its own; the others build
# tree-sitter for a dependency the bundle does not use, or send install analytics).
# The update check is no build option: `mailpit version` asks GitHub unless given
# --no-release-check, and the server's web UI does unless run with --disable-version-check
# (MP_DISABLE_VERSION_CHECK=true).
install_mailpit() {
    if stamp_ok mailpit "$MAILPIT_VERSION"; then
        log "mailpit $MAILPIT_VERSION: already present"
        return 0
    fi
    local go scratch start
    command -v npm >/dev/null 2>&1 || die "npm is needed for mailpit's web UI and was not found"
    go=$(find_go)
    start=$SECONDS
    scratch=$(mktemp -d "$TOOLS_DIR/.build-mailpit.XXXXXX")
    log "mailpit $MAILPIT_VERSION: building its web UI (npm) and its Go module" \
        "(a few minutes the first time)"
    go_module_copy "$MAILPIT_MODULE@v$MAILPIT_VERSION" "$scratch"
    if ! (cd "$scratch/src" &&
            npm ci --ignore-scripts --no-audit --no-fund --loglevel=error &&
            npm run package &&
            [[ -s server/ui/dist/app.js ]] &&
            GOWORK=off CGO_ENABLED=0 "$go" build -trimpath \
                -ldflags "-s -w -X $MAILPIT_MODULE/config.Version=v$MAILPIT_VERSION" \
                -o "$scratch/mailpit" .) >"$scratch/build.log" 2>&1; then
        tail -n 30 "$scratch/build.log" >&2
        rm -rf "$scratch"
        die "mailpit $MAILPIT_VERSION could not be built (see the npm or go error above)"
    fi
    mv -f "$scratch/mailpit" "$BIN_DIR/mailpit"
    rm -rf "$scratch"
    printf '%s\n' "$MAILPIT_VERSION" >"$STAMP_DIR/mailpit"
    log "mailpit $MAILPIT_VERSION: installed (built in $((SECONDS - start))s)"
}

# --- Jaeger all-in-one ----------------------------------------------------------------------
# Jaeger's v1 all-in-one (github.com/jaegertracing/jaeger, ./cmd/all-in-one): agent, collector
# (OTLP over gRPC and HTTP among its receivers) and query service (the HTTP API /api/services,
# /api/traces and the UI) in one process, with in-memory storage unless told otherwise; the
# binary of the compose file's jaeger image, at its release. Its go.mod has a replace
# directive, so `go install module@version` refuses it; it is built the way its Makefile's
# `build-all-in-one` target builds it, from the module's source as the proxy serves it:
# `go build -trimpath ./cmd/all-in-one` with CGO_ENABLED=0 (a static binary) and its BUILD_INFO
# ldflags, `-X .../pkg/version.latestVersion=v<version>` (its closest v1 tag there) and
# `.../pkg/version.date=<the release commit's time>` (the proxy's, as `git show` gives it
# there), so that `jaeger-all-in-one version` names the release; `.../pkg/version.commitSHA`
# stays empty, as the proxy does not give the commit.
# Without the web UI: its Makefile's `build-ui` first builds the jaeger-ui repository (a git
# submodule, not in the module) into cmd/query/app/ui/actual; without it the binary embeds its
# placeholder page (cmd/query/app/ui/placeholder), and the query HTTP API works all the same.
install_jaeger() {
    if stamp_ok jaeger-all-in-one "$JAEGER_VERSION"; then
        log "jaeger-all-in-one $JAEGER_VERSION: already present"
        return 0
    fi
    local go scratch start date ldflags
    go=$(find_go)
    start=$SECONDS
    scratch=$(mktemp -d "$TOOLS_DIR/.build-jaeger-all-in-one.XXXXXX")
    log "jaeger-all-in-one $JAEGER_VERSION: building from its Go module" \
        "(a few minutes the first time)"
    go_module_copy "$JAEGER_MODULE@v$JAEGER_VERSION" "$scratch"
    date=$(cd "$TOOLS_DIR" && GOWORK=off "$go" list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' \
        "$JAEGER_MODULE@v$JAEGER_VERSION") || date=""
    ldflags="-X $JAEGER_MODULE/pkg/version.latestVersion=v$JAEGER_VERSION"
    ldflags+=" -X $JAEGER_MODULE/pkg/version.date=$date"
    if ! (cd "$scratch/src" && GOWORK=off CGO_ENABLED=0 "$go" build -trimpath -ldflags "$ldflags" \
            -o "$scratch/jaeger-all-in-one" ./cmd/all-in-one >"$scratch/build.log" 2>&1); then
        tail -n 30 "$scratch/build.log" >&2
        rm -rf "$scratch"
        die "jaeger-all-in-one $JAEGER_VERSION could not be built (see the go error above)"
    fi
    mv -f "$scratch/jaeger-all-in-one" "$BIN_DIR/jaeger-all-in-one"
    rm -rf "$scratch"
    printf '%s\n' "$JAEGER_VERSION" >"$STAMP_DIR/jaeger-all-in-one"
    log "jaeger-all-in-one $JAEGER_VERSION: installed (built in $((SECONDS - start))s)"
}

# --- Kubernetes -----------------------------------------------------------------------------
# The binaries of a single-node cluster (devstack/kube.py): kube-apiserver,
# kube-controller-manager, kube-scheduler, kubelet, kube-proxy and kubectl, all of one release,
# built by one `go build` (they share most packages) and kept under one stamp, "kubernetes".
# k8s.io/kubernetes is served as a Go module, but its go.mod replaces each k8s.io/* staging
# module with ./staging/src/k8s.io/<name>, and the module zip has no staging folder: those
# replace lines are pointed at the same modules as published (k8s.io/<name> v0.<minor>.<patch>,
# cut from the same tree). Static binaries (CGO_ENABLED=0, as the release builds them), with
# the version variables the release sets (hack/lib/version.sh), so `kubectl version` and the
# node's kubeletVersion say v<version>; -s -w, as the release does, for smaller binaries and a
# shorter link. Cold: 659 s on 2 cores shared with another build (module download included);
# the stamp makes a warm run free. Only run when asked for: `scripts/install-tools.sh kubernetes`.
install_kubernetes() {
    local stamp=$KUBERNETES_VERSION name missing=""
    for name in "${KUBERNETES_BINARIES[@]}"; do
        [[ -x $BIN_DIR/$name ]] || missing+=" $name"
    done
    if [[ -z $missing && -f $STAMP_DIR/kubernetes && $(<"$STAMP_DIR/kubernetes") == "$stamp" ]]; then
        log "kubernetes $stamp: already present"
        return 0
    fi
    local go scratch start minor ldflags pkg pkgs=()
    go=$(find_go)
    start=$SECONDS
    scratch=$(mktemp -d "$TOOLS_DIR/.build-kubernetes.XXXXXX")
    log "kubernetes $KUBERNETES_VERSION: building ${KUBERNETES_BINARIES[*]} from its Go module" \
        "(about 10 minutes the first time)"
    go_module_copy "$KUBERNETES_MODULE@v$KUBERNETES_VERSION" "$scratch"
    # `k8s.io/api => ./staging/src/k8s.io/api` becomes `k8s.io/api => k8s.io/api v0.37.2`.
    sed -i -E "s#^([[:space:]]*)(k8s\.io/[^[:space:]]+)[[:space:]]+=>[[:space:]]+\./staging/src/k8s\.io/[^[:space:]]+[[:space:]]*\$#\1\2 => \2 v$KUBERNETES_STAGING_VERSION#" \
        "$scratch/src/go.mod"
    if grep -q '=> \./staging' "$scratch/src/go.mod"; then
        rm -rf "$scratch"
        die "kubernetes $KUBERNETES_VERSION: go.mod still names ./staging after the rewrite"
    fi
    minor=${KUBERNETES_VERSION#*.}; minor=${minor%%.*}
    ldflags="-s -w"
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        ldflags+=" -X $pkg.gitVersion=v$KUBERNETES_VERSION -X $pkg.gitMajor=${KUBERNETES_VERSION%%.*}"
        ldflags+=" -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
        ldflags+=" -X $pkg.buildDate=1970-01-01T00:00:00Z"
    done
    for name in "${KUBERNETES_BINARIES[@]}"; do pkgs+=("./cmd/$name"); done
    mkdir -p "$scratch/out"
    if ! (cd "$scratch/src" && GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 "$go" build -trimpath \
            -ldflags "$ldflags" -o "$scratch/out/" "${pkgs[@]}" >"$scratch/build.log" 2>&1); then
        tail -n 30 "$scratch/build.log" >&2
        rm -rf "$scratch"
        die "kubernetes $KUBERNETES_VERSION could not be built (see the go error above)"
    fi
    for name in "${KUBERNETES_BINARIES[@]}"; do
        mv -f "$scratch/out/$name" "$BIN_DIR/$name"
    done
    rm -rf "$scratch"
    printf '%s\n' "$stamp" >"$STAMP_DIR/kubernetes"
    log "kubernetes $KUBERNETES_VERSION: installed (built in $((SECONDS - start))s)"
}

# --- CoreDNS --------------------------------------------------------------------------------
# The cluster's DNS add-on (devstack/kube.py packs it into an image and runs it as a pod). Its
# module has no replace directive, so `go install` builds it; static, with the release's git
# commit variable left empty. Cold: 236 s here.
install_coredns() {
    if stamp_ok coredns "$COREDNS_VERSION"; then
        log "coredns $COREDNS_VERSION: already present"
        return 0
    fi
    CGO_ENABLED=0 go_install coredns "$COREDNS_MODULE" "$COREDNS_VERSION" coredns "-s -w" ||
        die "coredns $COREDNS_VERSION could not be built"
}

# With arguments, only the tools named (`kubernetes` is only built when named); without, the
# default set.
if (($# > 0)); then
    for tool in "$@"; do
        case $tool in
            kubernetes) install_kubernetes; install_coredns ;;
            buf|grpcurl|ghz|kustomize|krakend|otelcol|compose|mailpit|jaeger|coredns) "install_$tool" ;;
            *) die "unknown tool: $tool (known: kubernetes coredns buf grpcurl ghz kustomize krakend otelcol compose mailpit jaeger)" ;;
        esac
    done
    exit 0
fi

install_buf
install_grpcurl
install_ghz
install_kustomize
install_krakend
install_otelcol
install_compose
install_mailpit
install_jaeger
