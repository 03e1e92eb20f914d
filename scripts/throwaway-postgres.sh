# Sourced by .ci/run and scripts/bench.sh: a throwaway PostgreSQL cluster in a folder of its
# own, reached over 127.0.0.1 with trust authentication, removed by the caller's cleanup.
#
#   pg_throwaway_installed                  true when a PostgreSQL server is installed; sets PG_BIN
#   pg_throwaway_start FOLDER [SETTING...]  start one (each SETTING a "-c name=value"
#                                           argument for the server); sets PG_PORT. Call it
#                                           outside an `if`, so that `set -e` stops on a failure
#   pg_throwaway_stop FOLDER                stop it (the caller removes the folder)
#   pg_throwaway_createdb NAME              create a database in it

pg_throwaway_as_owner=()

pg_throwaway_installed() {
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ]
}

pg_throwaway_start() {
    local folder=$1
    shift
    mkdir -p "$folder/data" "$folder/sock"
    if [ "$(id -u)" -eq 0 ]; then  # the server refuses to run as root
        chown -R postgres: "$folder"
        pg_throwaway_as_owner=(runuser -u postgres --)
    fi
    PG_PORT=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "${pg_throwaway_as_owner[@]}" "$PG_BIN/initdb" -D "$folder/data" -U postgres --auth=trust \
        -E UTF8 --locale=C.UTF-8 >/dev/null
    "${pg_throwaway_as_owner[@]}" "$PG_BIN/pg_ctl" -D "$folder/data" -l "$folder/log" -w start \
        -o "-p $PG_PORT -k $folder/sock -c listen_addresses=127.0.0.1 $*" >/dev/null
}

pg_throwaway_stop() {
    [ -n "${PG_PORT:-}" ] || return 0
    "${pg_throwaway_as_owner[@]}" "$PG_BIN/pg_ctl" -D "$1/data" -m immediate stop >/dev/null 2>&1 || true
}

pg_throwaway_createdb() {
    "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -q -c "create database $1"
}
