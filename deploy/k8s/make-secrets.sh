#!/usr/bin/env bash
# Makes the shop's Kubernetes secrets as files that kustomization.yaml's secretGenerator reads:
#
#   secrets/postgres.env          POSTGRES_USER, POSTGRES_PASSWORD (the database password)
#   secrets/rabbitmq.env          RABBITMQ_DEFAULT_USER, RABBITMQ_DEFAULT_PASS
#   secrets/<service>.env         DATABASE_URL and/or AMQP_URL with those passwords in them;
#                                 identityservice's also ADMIN_PASSWORD (the first admin's)
#   secrets/frontend.env          SECRET_KEY (signs the website's session cookies)
#   secrets/keys/*.jwks.json      KrakenD's RSA signing key set (private and public)
#
# Every value is random, made here; none is committed (.gitignore ignores secrets/).
# Usage: make-secrets.sh [DIR]   (default: secrets/ beside this script)
#
# Idempotent: if DIR already holds a complete set, nothing changes, because PostgreSQL and
# RabbitMQ keep the password they were first started with. To start again, delete DIR and
# the cluster's data volumes (see README.md).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
DIR=${1:-$HERE/secrets}
PYTHON=${PYTHON:-$REPO/.venv/bin/python}

# The same names as kustomization.yaml, configs (config/*.env) and the manifests use.
DB_USER=shop
AMQP_USER=shop
POSTGRES_HOST=postgres:5432
RABBITMQ_HOST=rabbitmq:5672
# Each service that keeps data in PostgreSQL has a database of its own (infra/postgres-initdb.sql).
declare -A DATABASES=(
    [catalogservice]=catalog [checkoutservice]=orders [paymentservice]=payment
    [shippingservice]=shipping [emailservice]=email [identityservice]=identity
    [recommendationservice]=recommendation
)
AMQP_SERVICES=(catalogservice checkoutservice paymentservice shippingservice emailservice recommendationservice)

log() { printf 'make-secrets: %s\n' "$*"; }

# Hex only, so a value needs no escaping in a URL or an env file.
random_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

complete() {
    local f
    for f in postgres rabbitmq frontend identityservice "${AMQP_SERVICES[@]}"; do
        [[ -s $DIR/$f.env ]] || return 1
    done
    [[ -s $DIR/keys/private.jwks.json && -s $DIR/keys/public.jwks.json ]]
}

if complete; then
    log "$DIR already holds every secret; nothing changed"
    exit 0
fi
if compgen -G "$DIR/*.env" >/dev/null; then
    printf 'make-secrets: %s holds some secrets but not all; delete it and run again\n' "$DIR" >&2
    exit 1
fi

umask 077
mkdir -p "$DIR/keys"
db_password=$(random_hex 24)
amqp_password=$(random_hex 24)

printf 'POSTGRES_USER=%s\nPOSTGRES_PASSWORD=%s\n' "$DB_USER" "$db_password" >"$DIR/postgres.env"
printf 'RABBITMQ_DEFAULT_USER=%s\nRABBITMQ_DEFAULT_PASS=%s\n' "$AMQP_USER" "$amqp_password" >"$DIR/rabbitmq.env"
# cartservice has no file: Redis is in-cluster and has no password (README.md, dev-grade).
for service in "${!DATABASES[@]}"; do
    printf 'DATABASE_URL=postgresql://%s:%s@%s/%s\n' "$DB_USER" "$db_password" "$POSTGRES_HOST" \
        "${DATABASES[$service]}" >>"$DIR/$service.env"
done
for service in "${AMQP_SERVICES[@]}"; do
    printf 'AMQP_URL=amqp://%s:%s@%s/\n' "$AMQP_USER" "$amqp_password" "$RABBITMQ_HOST" >>"$DIR/$service.env"
done
printf 'ADMIN_PASSWORD=%s\n' "$(random_hex 12)" >>"$DIR/identityservice.env"
printf 'SECRET_KEY=%s\n' "$(random_hex 32)" >"$DIR/frontend.env"

# KrakenD's signing key: the same generator the local stack and the tests use.
PYTHONPATH=$REPO "$PYTHON" -c 'import sys; from pathlib import Path; from devstack.jwk import ensure_keys; ensure_keys(Path(sys.argv[1]))' "$DIR/keys"
chmod 600 "$DIR/keys/public.jwks.json"

log "made new secrets in $DIR"
