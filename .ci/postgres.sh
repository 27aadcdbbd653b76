#!/usr/bin/env bash
# Throwaway PostgreSQL server for the test suite.
#
# Why: the database layer must behave the same on SQLite and PostgreSQL, so CI runs
# tests/test_db.py against a real server. This starts a private cluster in a temp dir
# on a free 127.0.0.1 port (trust auth, no fsync) and tears it down afterwards.
#
#   eval "$(.ci/postgres.sh start)"      # exports BATCHBOT_TEST_POSTGRES_URL, BATCHBOT_PG_DIR
#   pytest tests/test_db.py
#   .ci/postgres.sh stop "$BATCHBOT_PG_DIR"
#
# Only the `export …` lines go to stdout; every other message goes to stderr.
set -euo pipefail

log() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

find_bindir() {
    # Newest installed major version wins.
    local initdb
    initdb=$(ls -1d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
    [[ -n "$initdb" ]] && dirname "$initdb"
}

install_postgres() {
    [[ $(id -u) -eq 0 ]] || die "PostgreSQL is not installed and we are not root to apt-get it"
    log "installing PostgreSQL with apt-get (Debian)…"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2
    apt-get install -y -q --no-install-recommends postgresql >&2
}

# Run a command as the cluster owner: initdb and postgres refuse to run as root.
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    local py
    py=$(command -v python3 || command -v python) || die "python is needed to pick a free port"
    "$py" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

start() {
    local bindir dir port
    bindir=$(find_bindir || true)
    if [[ -z "$bindir" ]]; then
        install_postgres
        bindir=$(find_bindir) || die "initdb still missing after installing postgresql"
    fi
    log "using $bindir"
    if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
        die "OS user 'postgres' does not exist"
    fi

    dir=$(mktemp -d "${TMPDIR:-/tmp}/batchbot-pg.XXXXXX")
    [[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
    chmod 700 "$dir"

    if ! as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 \
        --locale=C --no-sync >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        rm -rf "$dir"
        die "initdb failed"
    fi

    # A few attempts: the free port can be taken by someone else between pick and bind.
    local attempt started=""
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off \
                -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >&2; then
            started=1
            break
        fi
        log "start attempt $attempt on port $port failed; retrying"
    done
    if [[ -z "$started" ]]; then
        cat "$dir/server.log" >&2 || true
        rm -rf "$dir"
        die "could not start postgres"
    fi

    local ready=""
    for _ in $(seq 1 100); do
        if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres; then
            ready=1
            break
        fi
        sleep 0.1
    done
    if [[ -z "$ready" ]]; then
        cat "$dir/server.log" >&2 || true
        stop "$dir"
        die "postgres did not become ready"
    fi
    log "PostgreSQL ready on 127.0.0.1:$port (data in $dir)"
    echo "export BATCHBOT_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:$port/postgres"
    echo "export BATCHBOT_PG_DIR=$dir"
}

stop() {
    local dir="${1:-${BATCHBOT_PG_DIR:-}}"
    [[ -n "$dir" ]] || die "usage: $0 stop <dir> (or set BATCHBOT_PG_DIR)"
    [[ -d "$dir" ]] || { log "nothing to stop: $dir does not exist"; return 0; }
    # Refuse to rm -rf anything that does not look like one of our clusters.
    [[ $(basename "$dir") == batchbot-pg.* ]] || die "refusing to remove $dir: not a batchbot-pg dir"
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        local bindir
        bindir=$(find_bindir) || die "pg_ctl not found"
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || log "pg_ctl stop failed"
    fi
    rm -rf "$dir"
    log "stopped and removed $dir"
}

case "${1:-}" in
    start) start ;;
    stop) stop "${2:-}" ;;
    *) die "usage: $0 start | stop <dir>" ;;
esac
