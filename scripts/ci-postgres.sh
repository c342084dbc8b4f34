#!/usr/bin/env bash
# A PostgreSQL server for the durable-workflow tests and benchmark: from Debian's `postgresql`
# package (.ci/run installs it with the other system packages), run as the `postgres` user (the
# server refuses root), on 127.0.0.1, on a free port, in a temp data dir. Prints `export HAI_TEST_PG_URL=...` for the
# caller to eval; `scripts/ci-postgres.sh stop <datadir>` stops it and removes the directory.
set -euo pipefail

bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

if [ "${1:-}" = "stop" ]; then
  data="$2"
  bin="$(bin_dir)"
  runuser -u postgres -- "$bin/pg_ctl" stop -D "$data/db" -m fast -w >/dev/null 2>&1 || true
  rm -rf "$data"
  exit 0
fi

if [ -z "$(bin_dir)" ] || [ ! -x "$(bin_dir)/initdb" ]; then
  echo "ci-postgres.sh: no PostgreSQL server binaries under /usr/lib/postgresql: install the Debian package" \
    "postgresql (.ci/run's system-packages step does)" >&2
  exit 1
fi
bin="$(bin_dir)"
id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres

data="$(mktemp -d /tmp/hai-ci-pg.XXXXXX)"
chown postgres:postgres "$data"
port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
runuser -u postgres -- "$bin/initdb" -D "$data/db" -U postgres -A trust -E UTF8 --no-sync >/dev/null
runuser -u postgres -- "$bin/pg_ctl" start -D "$data/db" -w -l "$data/server.log" \
  -o "-h 127.0.0.1 -p $port -k $data -c fsync=off -c synchronous_commit=off -c max_connections=300" >/dev/null
echo "export HAI_TEST_PG_URL=postgres://postgres@127.0.0.1:$port/postgres"
echo "export HAI_TEST_PG_DATA=$data"
