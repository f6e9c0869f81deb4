#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests (Debian's postgresql package), on a free loopback port.
#
#   scripts/test-postgres.sh start        prints "URL DIR": the server's URL (user crmkit, a password)
#                                         and the folder it lives in
#   scripts/test-postgres.sh stop DIR     stops it and removes DIR
#
# As root the server runs as the postgres user (initdb refuses root). tests/test_databases.py starts
# one itself when CRMKIT_TEST_POSTGRES is not set; .ci/run starts one and sets it.
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$bin" ] || bin=$(dirname "$(command -v pg_ctl)")
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-}" in
start)
    dir=$(mktemp -d /tmp/crmkit-postgres.XXXXXX)
    password=crmkit-test
    printf '%s\n' "$password" > "$dir/password"
    [ "$(id -u)" = 0 ] && chown -R postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U crmkit --pwfile="$dir/password" -A scram-sha-256 >"$dir/initdb.log" 2>&1
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    echo "postgresql://crmkit:$password@127.0.0.1:$port/postgres $dir"
    ;;
stop)
    dir=${2:?usage: $0 stop DIR}
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac
