# Sourced by `make test`: make sure TACTFUL_TEST_POSTGRES_URL points at a PostgreSQL server.
# If it is unset and PostgreSQL's binaries are installed, start a throwaway cluster on loopback.
# Without either, the PostgreSQL half of the suite is skipped (and fails under CI=true).
if [ -z "${TACTFUL_TEST_POSTGRES_URL:-}" ]; then
  _pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$_pg_bin" ] && [ -x "$_pg_bin/pg_ctl" ]; then
    _pg_port=${TACTFUL_TEST_POSTGRES_PORT:-54329}
    _pg_dir=${TMPDIR:-/tmp}/tactful-test-pg-$_pg_port
    _pg_run=""
    if [ "$(id -u)" = "0" ]; then _pg_run="runuser -u postgres --"; fi
    if ! $_pg_run "$_pg_bin/pg_ctl" -D "$_pg_dir" status >/dev/null 2>&1; then
      rm -rf "$_pg_dir"; mkdir -p "$_pg_dir"
      if [ -n "$_pg_run" ]; then chown postgres "$_pg_dir"; fi
      $_pg_run "$_pg_bin/initdb" -D "$_pg_dir" -U tactful --auth=trust -E UTF8 >/dev/null
      $_pg_run "$_pg_bin/pg_ctl" -D "$_pg_dir" -l "$_pg_dir/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $_pg_port -k $_pg_dir -c fsync=off -c full_page_writes=off -c synchronous_commit=off" \
        start >/dev/null
    fi
    export TACTFUL_TEST_POSTGRES_URL="postgresql+psycopg://tactful@127.0.0.1:$_pg_port/postgres"
    echo "PostgreSQL for tests: $TACTFUL_TEST_POSTGRES_URL"
  else
    echo "PostgreSQL is not installed: its tests are skipped (they fail under CI=true)."
  fi
fi
