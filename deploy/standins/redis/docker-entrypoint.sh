#!/bin/sh
# Entrypoint of the redis:7.2-alpine stand-in (see the Dockerfile's comment): started as root
# to run redis-server, it owns the working directory's files to redis and runs itself again
# as redis; then it turns protected mode off unless told otherwise, as upstream's build does,
# and execs the server, which is then PID 1.
set -e

# `docker run redis:7.2-alpine --port 7000` or `... /etc/redis.conf`: the server, as upstream.
case "$1" in
    -*|*.conf) set -- redis-server "$@" ;;
esac

if [ "$1" = 'redis-server' ] && [ "$(id -u)" = '0' ]; then
    find . \! -user redis -exec chown redis '{}' +
    export HOME=/var/lib/redis
    exec setpriv --reuid=redis --regid=redis --init-groups -- "$0" "$@"
fi

if [ "$1" = 'redis-server' ]; then
    shift
    # redis-server's first argument, when it does not start with `-`, is a config file
    # (`-` meaning standard input); the options after it override the file.
    config=''
    case "$1" in
        ''|-?*) ;;
        *) config="$1"; shift ;;
    esac
    # Upstream's compiled default is protected mode off; Debian's is on, which refuses
    # clients on other hosts while no password is set. Turn it off unless the command line,
    # or the config file, says what it wants.
    protected='--protected-mode no'
    case "$1" in
        # These must stay redis-server's first argument.
        -v|--version|-h|--help|--test-memory|--check-system) protected='' ;;
    esac
    for arg in "$@"; do
        case "$arg" in
            --protected-mode) protected='' ;;
        esac
    done
    if [ -n "$config" ] && [ -f "$config" ] && grep -Eiq '^[[:space:]]*protected-mode[[:space:]]' "$config"; then
        protected=''
    fi
    # shellcheck disable=SC2086  # $protected is two words or none
    if [ -n "$config" ]; then
        set -- redis-server "$config" $protected "$@"
    else
        set -- redis-server $protected "$@"
    fi
fi

# As upstream: files the server writes are its own only, unless a umask was chosen.
if [ "$(umask)" = '0022' ]; then
    umask 0077
fi

exec "$@"
