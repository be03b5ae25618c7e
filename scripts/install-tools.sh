#!/usr/bin/env bash
# Installs the command-line tools the shop's build, tests and benchmarks use, at pinned
# versions, into a project-local tools directory (default: <repo>/.tools, gitignored):
#
#   buf       from the npm registry (@bufbuild/buf)
#   krakend   KrakenD CE, built with `go install` from the Go module proxy
#   grpcurl   built with `go install`
#   ghz       built with `go install`
#
# Idempotent and fast when everything is present: each tool has a version stamp and is only
# (re)built when the stamp or the binary is missing or names another version. Go's module and
# build caches stay in their default places, so a second build on the same machine is quick.
#
# Environment:
#   TOOLS_DIR         where to install (default: <repo>/.tools); binaries go to $TOOLS_DIR/bin
#
# KrakenD CE and this workplace: the Go module proxy reachable here refuses every
# github.com/krakend/krakend-ce/v2 version with "403 Forbidden: This module version is not
# available". When (and only when) the proxy refuses the module that way, the refusal is
# written to $TOOLS_DIR/stamps/krakend.refused and the other tools still install; the
# KrakenD tests then report the refusal instead of passing. Any other build failure stops
# here.
set -euo pipefail

# Pinned versions: the single source of truth (tests read KRAKEND_VERSION from here).
BUF_VERSION=1.75.0
KRAKEND_VERSION=2.13.1
GRPCURL_VERSION=1.9.4
GHZ_VERSION=0.120.0

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
    if ! GOBIN=$scratch "$go" install -trimpath -ldflags "$ldflags" "$pkg@v$version" \
        2> >(tee "$scratch.log" >&2); then
        wait  # for tee
        local refused=0
        if grep -q "$pkg.*403 Forbidden" "$scratch.log" 2>/dev/null || grep -q "${pkg%%/cmd/*}@v$version.*403 Forbidden" "$scratch.log"; then
            refused=1
            grep -m1 '403 Forbidden' "$scratch.log" >"$STAMP_DIR/$name.refused"
        fi
        rm -rf "$scratch" "$scratch.log"
        [[ $refused == 1 ]] && return 2
        return 1
    fi
    rm -f "$STAMP_DIR/$name.refused"
    wait
    rm -f "$scratch.log"
    mv -f "$scratch/$built" "$BIN_DIR/$name"
    rm -rf "$scratch"
    printf '%s\n' "$version" >"$STAMP_DIR/$name"
    log "$name $version: installed (built in $((SECONDS - start))s)"
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
# The version flags are the ones KrakenD CE's own Makefile sets (pkg.Version and lura's
# core.KrakendVersion); lura's core.GoVersion is set too, to the Go that built it.
install_krakend() {
    if stamp_ok krakend "$KRAKEND_VERSION"; then
        log "krakend $KRAKEND_VERSION: already present"
        return 0
    fi
    local go go_version ldflags
    go=$(find_go)
    go_version=$("$go" env GOVERSION)
    ldflags="-X github.com/krakend/krakend-ce/v2/pkg.Version=$KRAKEND_VERSION"
    ldflags+=" -X github.com/luraproject/lura/v2/core.KrakendVersion=$KRAKEND_VERSION"
    ldflags+=" -X github.com/luraproject/lura/v2/core.GoVersion=${go_version#go}"
    log "krakend $KRAKEND_VERSION: building with go install (takes several minutes the first time)"
    local status=0
    go_install krakend github.com/krakend/krakend-ce/v2/cmd/krakend-ce "$KRAKEND_VERSION" \
        krakend-ce "$ldflags" || status=$?
    case $status in
        0) ;;
        2) log "BLOCKED: the Go module proxy refuses KrakenD CE $KRAKEND_VERSION (403, recorded in $STAMP_DIR/krakend.refused);"
           log "         the other tools are installed, and the KrakenD tests say why they cannot run" ;;
        *) die "krakend $KRAKEND_VERSION could not be built with go install (see the go error above)" ;;
    esac
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

install_buf
install_grpcurl
install_ghz
install_krakend
