#!/usr/bin/env bash
# Runs a command with a PostgreSQL for the tests:
#   scripts/with-postgres.sh CMD [ARGS...]
#
# * A server answers at ENIPLANE_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test):
#   CMD runs against it.
# * None answers, and PostgreSQL's server programs are installed (initdb, pg_ctl, postgres; found on
#   PATH, under /usr/lib/postgresql/*/bin or /usr/local/pgsql/bin): a throwaway server is started
#   (initdb into a temporary directory, trust authentication, 127.0.0.1 on a free port, database
#   `test`), CMD runs with ENIPLANE_TEST_DATABASE_URL pointing at it, and the server and its
#   directory are removed when this script exits, however it exits.
# * Neither: says exactly what is missing and fails (exit 2). Nothing is skipped silently.
#
# Environment:
#   ENIPLANE_TEST_DATABASE_URL=off  run CMD without PostgreSQL (its tests are then skipped; said loudly)
#   ENIPLANE_POSTGRES_BIN_DIRS=A:B  look for the server programs only in these directories
# CMD also gets ENIPLANE_PG_BIN, the directory of the server programs, when a throwaway server runs.
set -euo pipefail

DEFAULT_URL="postgres://postgres@127.0.0.1:5432/test"
URL="${ENIPLANE_TEST_DATABASE_URL:-$DEFAULT_URL}"
say() { echo "with-postgres: $*" >&2; }

if [[ $# -eq 0 ]]; then
    say "usage: scripts/with-postgres.sh CMD [ARGS...]"
    exit 2
fi
if [[ "$URL" == "off" ]]; then
    say "ENIPLANE_TEST_DATABASE_URL=off: the PostgreSQL tests are switched off"
    exec "$@"
fi

# host, port and database of a postgres:// URL (user@host:port/db?params)
url_part() {
    local rest="${URL#*://}"
    rest="${rest#*@}"
    local hostport="${rest%%/*}" db="${rest#*/}"
    db="${db%%\?*}"
    case "$1" in
        host) local h="${hostport%:*}"; [[ "$hostport" == *:* ]] || h="$hostport"; echo "${h:-127.0.0.1}" ;;
        port) [[ "$hostport" == *:* ]] && echo "${hostport##*:}" || echo 5432 ;;
        db) [[ "$rest" == */* && -n "$db" ]] && echo "$db" || echo test ;;
    esac
}

answers() {
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -t 3 -d "$1" >/dev/null 2>&1
    else
        (exec 3<>"/dev/tcp/$2/$3") 2>/dev/null
    fi
}

if answers "$URL" "$(url_part host)" "$(url_part port)"; then
    exec "$@"
fi

# ---------------------------------------------------------------- find the server programs
search_dirs() {
    if [[ -n "${ENIPLANE_POSTGRES_BIN_DIRS:-}" ]]; then
        tr ':' '\n' <<<"$ENIPLANE_POSTGRES_BIN_DIRS"
        return
    fi
    local initdb
    if initdb="$(command -v initdb 2>/dev/null)"; then
        dirname "$(readlink -f "$initdb")"
    fi
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -V -r || true
    echo /usr/local/pgsql/bin
}

BIN=""
LOOKED=()
while IFS= read -r dir; do
    [[ -n "$dir" ]] || continue
    LOOKED+=("$dir")
    if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" && -x "$dir/postgres" ]]; then
        BIN="$dir"
        break
    fi
done < <(search_dirs)

if [[ -z "$BIN" ]]; then
    say "no PostgreSQL answers at $URL, and PostgreSQL's server programs are not installed:"
    say "  initdb, pg_ctl and postgres were not found together in any of: ${LOOKED[*]:-(no directory)}"
    say "Install them (Debian/Ubuntu: apt-get install postgresql; Fedora: dnf install postgresql-server;"
    say "macOS: brew install postgresql), start a server at that URL, or set ENIPLANE_TEST_DATABASE_URL"
    say "to one that answers (ENIPLANE_TEST_DATABASE_URL=off skips the PostgreSQL tests)."
    exit 2
fi
CREATEDB=""
for c in "$BIN/createdb" "$(command -v createdb 2>/dev/null || true)"; do
    if [[ -n "$c" && -x "$c" ]]; then CREATEDB="$c"; break; fi
done
if [[ -z "$CREATEDB" ]]; then
    say "found the server programs in $BIN but not createdb (PostgreSQL's client programs); install them"
    exit 2
fi

# ---------------------------------------------------------------- start a throwaway server
TMP="$(mktemp -d "${TMPDIR:-/tmp}/eniplane-pg.XXXXXX")"
DATA="$TMP/data"
RUN_AS=()
if [[ "$(id -u)" == 0 ]]; then
    # initdb refuses to run as root; the server runs as postgres (or nobody) in its own directory.
    user=postgres
    getent passwd postgres >/dev/null 2>&1 || user=nobody
    chown "$user" "$TMP"
    if command -v runuser >/dev/null 2>&1; then
        RUN_AS=(runuser -u "$user" --)
    elif command -v setpriv >/dev/null 2>&1; then
        RUN_AS=(setpriv --reuid "$user" --regid "$(id -g "$user")" --clear-groups --)
    else
        say "running as root and neither runuser nor setpriv is available to run PostgreSQL as $user"
        rm -rf "$TMP"
        exit 2
    fi
fi
as_pg() { "${RUN_AS[@]}" "$@"; }

cleanup() {
    as_pg "$BIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! as_pg "$BIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --no-sync >"$TMP/initdb.log" 2>&1; then
    say "initdb failed:"
    tail -n 20 "$TMP/initdb.log" >&2
    exit 2
fi
started=""
for _ in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 40000))
    port_free "$port" || continue
    opts="-p $port -k $TMP -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
    opts+=" -c full_page_writes=off -c max_connections=300"
    if as_pg "$BIN/pg_ctl" -D "$DATA" -l "$TMP/server.log" -o "$opts" -w -t 30 start >/dev/null 2>&1; then
        started="$port"
        break
    fi
done
if [[ -z "$started" ]]; then
    say "the throwaway PostgreSQL did not start:"
    tail -n 20 "$TMP/server.log" >&2 2>/dev/null || true
    exit 2
fi
DB="$(url_part db)"
as_pg "$CREATEDB" -h 127.0.0.1 -p "$started" -U postgres "$DB"
export ENIPLANE_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$started/$DB"
export ENIPLANE_PG_BIN="$BIN"
say "no PostgreSQL answers at $URL; started a throwaway one at $ENIPLANE_TEST_DATABASE_URL ($BIN, data in $TMP, removed at exit)"

status=0
"$@" || status=$?
exit "$status"
