#!/usr/bin/env bash
# Entrypoint of the postgres:15 stand-in (see the Dockerfile's comment): started as root, it
# only makes PGDATA and the socket directory postgres's, then runs itself again as postgres;
# on an empty PGDATA it initialises the cluster and runs /docker-entrypoint-initdb.d with a
# socket-only temporary server; in the end it execs the server, which is then PID 1.
set -Eeo pipefail

log() { printf '%s [entrypoint] %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$*"; }

# `docker run postgres:15 -c work_mem=64MB` means the server with those options, as upstream.
if [ "${1:0:1}" = '-' ]; then
    set -- postgres "$@"
fi
# Anything else (psql, pg_isready, bash, ...) runs as it is.
if [ "$1" != 'postgres' ]; then
    exec "$@"
fi

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

if [ "$(id -u)" = '0' ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chmod 00700 "$PGDATA" || :
    chmod 03775 /var/run/postgresql || :
    find "$PGDATA" /var/run/postgresql \! -user postgres -exec chown postgres:postgres '{}' +
    export HOME=/var/lib/postgresql USER=postgres LOGNAME=postgres
    exec setpriv --reuid=postgres --regid=postgres --init-groups -- "${BASH_SOURCE[0]}" "$@"
fi

# psql against the temporary server: over its socket, where local connections are trusted.
process_sql() {
    PGHOST= PGHOSTADDR= psql -v ON_ERROR_STOP=1 --no-password --no-psqlrc \
        --username "$POSTGRES_USER" "$@"
}

initialise() {
    : "${POSTGRES_USER:=postgres}"
    : "${POSTGRES_DB:=$POSTGRES_USER}"
    # PostgreSQL 15's password_encryption is scram-sha-256, so upstream's default is this too.
    : "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
    if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != 'trust' ]; then
        cat >&2 <<'EOM'
Error: the database is uninitialised and the superuser password is not given.
       Set POSTGRES_PASSWORD to a non-empty value for the superuser, or
       POSTGRES_HOST_AUTH_METHOD=trust to allow every connection without a password
       (not recommended).
EOM
        exit 1
    fi
    if [ "$POSTGRES_HOST_AUTH_METHOD" = 'trust' ]; then
        log "WARNING: POSTGRES_HOST_AUTH_METHOD=trust: every host may connect without a password"
    fi

    log "initialising the cluster in $PGDATA (UTF8, C.UTF-8)"
    # The password reaches initdb through a pipe, never a file or the command line.
    local pwfile=''
    if [ -n "$POSTGRES_PASSWORD" ]; then
        pwfile='--pwfile=<(printf "%s\n" "$POSTGRES_PASSWORD")'
    fi
    # Socket and loopback connections are trusted, as upstream's initdb leaves them;
    # POSTGRES_INITDB_ARGS is split like a shell word list, as upstream does, and comes last
    # so that it can override the encoding or locale.
    eval 'initdb --username="$POSTGRES_USER" '"$pwfile"' --encoding=UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=trust '"${POSTGRES_INITDB_ARGS:-}"
    printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >> "$PGDATA/pg_hba.conf"

    # The temporary server listens on its socket only, so a TCP health check
    # (pg_isready -h 127.0.0.1) succeeds only once the init scripts have run.
    log "starting a temporary server on the unix socket only"
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p ${PGPORT:-5432}" -w start

    if [ "$POSTGRES_DB" != 'postgres' ]; then
        local exists
        exists=$(process_sql --dbname postgres --set db="$POSTGRES_DB" --tuples-only --no-align \
            <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")
        if [ -z "$exists" ]; then
            log "creating database $POSTGRES_DB"
            process_sql --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
        fi
    fi

    local f
    for f in /docker-entrypoint-initdb.d/*; do
        [ -e "$f" ] || continue
        case "$f" in
            *.sh)
                if [ -x "$f" ]; then
                    log "running $f"
                    "$f"
                else
                    log "sourcing $f"
                    # shellcheck disable=SC1090
                    . "$f"
                fi
                ;;
            *.sql)    log "running $f"; process_sql --dbname "$POSTGRES_DB" -f "$f" ;;
            *.sql.gz) log "running $f"; gzip -dc "$f" | process_sql --dbname "$POSTGRES_DB" ;;
            *)        log "ignoring $f" ;;
        esac
    done

    log "stopping the temporary server"
    pg_ctl -D "$PGDATA" -m fast -w stop
    log "PostgreSQL init process complete; ready for start up"
}

# `postgres --version`, `--help`, `-C setting`, `--describe-config`: no initialisation, as upstream.
want_help() {
    local arg
    for arg; do
        case "$arg" in
            -'?'|--help|--describe-config|-V|--version|-C|-C*) return 0 ;;
        esac
    done
    return 1
}

if want_help "$@"; then
    exec "$@"
elif [ ! -s "$PGDATA/PG_VERSION" ]; then
    initialise
else
    log "PostgreSQL database directory appears to contain a database; skipping initialisation"
fi

exec "$@"
