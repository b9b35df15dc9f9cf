#!/usr/bin/env bash
# Runs a command with a throw-away PostgreSQL cluster: initdb in a temporary folder, started on a
# free port on 127.0.0.1, its URL exported as RISKGATE_TEST_POSTGRES_URL, stopped and deleted when
# the command ends (whatever its outcome). Needs Debian's `postgresql` package (scripts/setup.sh).
#
#   bash scripts/with-postgres.sh swift test
#
# The command's exit status is the script's. RISKGATE_REQUIRE_POSTGRES=1 is exported too, so the
# PostgreSQL tests fail rather than skip when the database cannot be reached.
set -euo pipefail

if [ $# -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi

bin=""
for candidate in /usr/lib/postgresql/*/bin; do
    [ -x "$candidate/initdb" ] && bin="$candidate"
done
if [ -z "$bin" ]; then
    echo "with-postgres: initdb not found under /usr/lib/postgresql/*/bin (apt-get install postgresql)" >&2
    exit 2
fi

dir=$(mktemp -d /tmp/riskgate-pg.XXXXXX)
# initdb and postgres refuse to run as root: the cluster belongs to an unprivileged user.
as_owner() { "$@"; }
if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$dir"
    as_owner() { runuser -u postgres -- "$@"; }
fi

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

cleanup() {
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM

as_owner "$bin/initdb" -D "$dir/data" -U riskgate --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 2; }
as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=200 -c fsync=on" start \
    >/dev/null || { cat "$dir/server.log" >&2; exit 2; }
as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U riskgate riskgate

export RISKGATE_TEST_POSTGRES_URL="postgres://riskgate@127.0.0.1:$port/riskgate?sslmode=disable"
export RISKGATE_REQUIRE_POSTGRES=1
# The data folder, for tests that stop and start the server (a PostgreSQL restart).
export RISKGATE_TEST_POSTGRES_DATA="$dir/data"
export RISKGATE_TEST_POSTGRES_BIN="$bin"
echo "with-postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2

set +e
"$@"
status=$?
set -e
exit $status
