#!/usr/bin/env bash
# Builds KrakenD CE from its Go module with this project's stated changes, as a static binary:
#
#   krakend/build/build.sh VERSION OUTPUT     # e.g. 1.4.1 .tools/bin/krakend
#
# One way to build the gateway, used by scripts/install-tools.sh (the binary `make run` and
# the tests run) and by krakend/Dockerfile (the image compose and Kubernetes run), so both
# are the same program. Needs Go and `patch`; reaches the Go module proxy.
#
# KrakenD CE's go.mod has a replace directive, so `go install module@version` refuses it; it
# is built the way its own Makefile builds it, from the module's source as the proxy serves
# it, with these changes (docs/decisions/0005-krakend-ce-1.4.md):
#   - github.com/modern-go/reflect2 goes from v1.0.1, which crashes on Go 1.18 and later, to
#     v1.0.2, the release that fixes that;
#   - lura 1.4.1 gets lura-listen-ip.patch: KrakenD 2's "listen_ip", so the gateway can bind
#     to 127.0.0.1 alone (1.4.1 binds every interface); and lura-error-bodies.patch: a call
#     its backend did not answer is a 503 (504 when the endpoint's timeout ran out) with a
#     JSON body, not an empty 500;
#   - krakend-jose 1.4.0 gets krakend-jose-validator.patch: a 401, not a 500, for an unknown
#     key id, "required_claims", and JSON bodies on the validator's refusals;
#   - krakend-lua 1.4.0 gets krakend-lua-errors.patch: JSON bodies on an endpoint Lua
#     script's refusals (the path-parameter guard's 400);
#   - krakend-ratelimit 1.4.0 gets krakend-ratelimit-errors.patch: JSON bodies on the router
#     limiter's 429 and 503;
#   - KrakenD CE's own router gets krakend-ce-router-errors.patch: JSON bodies on its 404
#     and 405.
# CGO is off: the binary is static and runs on the Alpine of the official image as on Debian
# (KrakenD's Go plugins, which need cgo, are not used here).
set -euo pipefail

[[ $# -eq 2 ]] || { echo "usage: $0 VERSION OUTPUT" >&2; exit 2; }
version=$1
output=$(realpath -m "$2")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
go=${GO:-go}
module=github.com/devopsfaith/krakend-ce

module_dir() {  # module_dir MODULE[@VERSION]: where the Go module cache holds its source
    "$go" mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p'
}

scratch=$(mktemp -d "${TMPDIR:-/tmp}/krakend-build.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

source_dir=$(cd "$scratch" && module_dir "$module@v$version")
[[ -n $source_dir && -d $source_dir ]] || { echo "the Go module proxy did not give $module@v$version" >&2; exit 1; }
cp -R "$source_dir" "$scratch/src"
chmod -R u+w "$scratch/src"
cd "$scratch/src"
patch --quiet -p1 <"$here/krakend-ce-router-errors.patch"
for patched in lura:github.com/luraproject/lura:lura-listen-ip.patch,lura-error-bodies.patch \
               jose:github.com/devopsfaith/krakend-jose:krakend-jose-validator.patch \
               lua:github.com/devopsfaith/krakend-lua:krakend-lua-errors.patch \
               ratelimit:github.com/devopsfaith/krakend-ratelimit:krakend-ratelimit-errors.patch; do
    IFS=: read -r dir dependency patch_files <<<"$patched"
    cp -R "$(module_dir "$dependency")" "$dir" && chmod -R u+w "$dir"
    for patch_file in ${patch_files//,/ }; do
        patch --quiet -p1 -d "$dir" <"$here/$patch_file"
    done
    "$go" mod edit -replace="$dependency=./$dir"
done
"$go" mod edit -require=github.com/modern-go/reflect2@v1.0.2
CGO_ENABLED=0 GOFLAGS=-mod=mod "$go" build -trimpath \
    -ldflags "-X github.com/luraproject/lura/core.KrakendVersion=$version" \
    -o "$scratch/krakend" ./cmd/krakend-ce
mkdir -p "$(dirname "$output")"
mv -f "$scratch/krakend" "$output"
