#!/bin/sh
# Entrypoint of the rabbitmq:3.13-management stand-in (see the Dockerfile's comment): started
# as root to run rabbitmq-server, it owns /var/lib/rabbitmq's files to rabbitmq and runs itself
# again as rabbitmq; then it makes the Erlang cookie if the volume has none and execs
# Debian's rabbitmq-server script, which execs the Erlang VM: the VM is PID 1 and stops
# cleanly on SIGTERM.
set -e

# `docker run rabbitmq:3.13-management -some-erl-arg`: the server, as upstream.
case "$1" in
    -*) set -- rabbitmq-server "$@" ;;
esac

data=/var/lib/rabbitmq
if [ "$1" = 'rabbitmq-server' ] && [ "$(id -u)" = '0' ]; then
    mkdir -p "$data"
    find "$data" \! -user rabbitmq -exec chown rabbitmq:rabbitmq '{}' +
    export HOME="$data" USER=rabbitmq LOGNAME=rabbitmq
    exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups -- "$0" "$@"
fi

if [ "$1" = 'rabbitmq-server' ]; then
    shift
    export HOME="$data"
    cd "$data"

    # RABBITMQ_DEFAULT_USER / _PASS / _VHOST need nothing here: RabbitMQ (3.9 and later)
    # reads them itself, and creates that user only when the node makes its database, i.e.
    # on a fresh volume. Nothing is written outside the data directory, so the root file
    # system may be read-only (as deploy/k8s runs it).

    # Made here rather than by the VM, so that a CLI tool run as root before the node is up
    # cannot leave a root-owned cookie behind.
    cookie="$HOME/.erlang.cookie"
    if [ ! -s "$cookie" ]; then
        (
            umask 0077
            tr -dc 'A-Z' < /dev/urandom | head -c 32 > "$cookie.tmp"
            chmod 0400 "$cookie.tmp"
            mv -f "$cookie.tmp" "$cookie"
        )
    fi

    # Debian's script then execs the VM instead of running it as a child of a shell.
    export RUNNING_UNDER_SYSTEMD=true
    set -- /usr/lib/rabbitmq/bin/rabbitmq-server "$@"
fi

exec "$@"
