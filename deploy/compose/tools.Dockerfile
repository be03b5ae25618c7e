# The shop's tool image for docker-compose: the one-shot `keys` service (the gateway's dev
# JWK set, made on first start) and locust (profile `load`). Unlike the service images,
# which install only requirements.runtime.lock, it installs the whole requirements.lock:
# the tools (locust, jwcrypto) are in it.
# Build from the repository root: docker build -f deploy/compose/tools.Dockerfile .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app:/app/genproto

# The same uid in every shop image (docs/containers.md).
RUN groupadd --system --gid 10001 shop \
 && useradd --system --uid 10001 --gid shop --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin shop

WORKDIR /app

COPY requirements.lock ./
RUN pip install --no-deps -r requirements.lock

COPY genproto ./genproto
COPY service_runtime ./service_runtime
COPY devstack ./devstack

# The keys volume's mount point: a fresh named volume takes this directory's owner, so the
# `keys` service (running as shop) can write into it.
RUN mkdir -p /var/lib/shop/krakend-keys && chown shop:shop /var/lib/shop/krakend-keys

USER shop

# Only `keys` runs to completion and locust's health is its web UI; compose sets each one's
# command and checks. This one says the interpreter and the dependencies load.
HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD ["python", "-c", "import jwcrypto"]

CMD ["python", "-c", "from pathlib import Path; from devstack.jwk import ensure_keys; print(*ensure_keys(Path('/var/lib/shop/krakend-keys')))"]
