#!/usr/bin/env bash
# Regenerate the Python code of every contract in protos/ into genproto/ (`make protos`).
# google/api and google/type come from the googleapis-common-protos package installed in
# the virtual environment, copied into protos/google (gitignored) so buf sees them too.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
site=$("$PY" -c 'import google.api, os; print(os.path.dirname(os.path.dirname(google.api.__path__[0])))')
mkdir -p protos/google/api protos/google/type
cp "$site/google/api/annotations.proto" "$site/google/api/http.proto" protos/google/api/
cp "$site/google/type/money.proto" protos/google/type/

# OUT lets `make check-protos` generate elsewhere and compare with what is committed.
out=${OUT:-genproto}
rm -rf "$out"
mkdir -p "$out"
mapfile -t files < <(cd protos && find shop -name '*.proto' | sort)
"$PY" -m grpc_tools.protoc -I protos --python_out="$out" --grpc_python_out="$out" --pyi_out="$out" "${files[@]}"
# Explicit packages, so `shop` never merges with another namespace package.
find "$out" -type d -exec touch {}/__init__.py \;
rm -f "$out/__init__.py"
echo "generated $(find "$out" -name '*_pb2.py' | wc -l) modules from ${#files[@]} proto files into $out/"
