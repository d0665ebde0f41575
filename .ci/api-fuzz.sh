#!/usr/bin/env bash
# The API fuzzer: schemathesis (pinned in infra/requirements-dev.txt) generates requests from
# the checked-in OpenAPI document, valid and invalid ones, and sends them to a local mdm-dev on
# a fresh data dir. CI fails on any 5xx, on any answer outside the document, and on any request
# the document calls valid that the server refuses (400, 413, 422), but for the explained
# exceptions of .ci/api_fuzz_allow.py (rules across fields, opaque cursors, check digits...).
#
# Usage: .ci/api-fuzz.sh [MAX_EXAMPLES]   (default 10 per operation; CI runs the default)
#        API_FUZZ_SEED=N picks another seed (CI runs seed 1, so a run is repeatable).
# Needs: $CARGO_TARGET_DIR/debug/mdm-dev (CI's test step builds it) and schemathesis on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

max_examples="${1:-10}"
bin="${CARGO_TARGET_DIR:-$PWD/target}/debug/mdm-dev"
data="$(mktemp -d)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"

# A data dir of its own (its dev key signs the tokens below), no rate limits (the fuzzer sends
# bursts from one tenant and one device, and a 429 would hide what the request itself gets).
export MDM_DATA_DIR="$data"
export MDM_RATE_DEVICE_PER_MIN=0 MDM_RATE_TENANT_PER_MIN=0 MDM_RATE_ENROLL_PER_MIN=0
export RUST_LOG="${RUST_LOG:-warn}"
# Hypothesis keeps its examples in the temp dir, not in the work tree.
export HYPOTHESIS_STORAGE_DIRECTORY="$data/hypothesis"
"$bin" serve --listen "127.0.0.1:$port" >"$data/server.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "$base/healthz" >/dev/null

TENANT_TOKEN="$("$bin" token --tenant acme --role admin)"
PLATFORM_TOKEN="$("$bin" token --role platform_operator)"
# A real device of acme for the device routes: an enrollment token, then an enrolment.
enrollment_token="$(curl -fsS -X POST "$base/v1/enrollment-tokens" \
  -H "Authorization: Bearer $TENANT_TOKEN" -H 'Content-Type: application/json' \
  -d '{"max_uses": 5}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')"
DEVICE_CREDENTIAL="$(curl -fsS -X POST "$base/v1/enroll" -H 'Content-Type: application/json' \
  -d "{\"enrollment_token\": \"$enrollment_token\", \"platform\": \"android\", \"model\": \"Pixel 8\",
       \"os_version\": \"15\", \"serial\": \"FUZZ0001\", \"imei\": \"490154203237518\",
       \"push_token\": \"sink:fuzz\"}" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["device_credential"])')"
export TENANT_TOKEN PLATFORM_TOKEN DEVICE_CREDENTIAL

checks=not_a_server_error,response_schema_conformance,positive_data_acceptance
started=$SECONDS
status=0
schemathesis --config-file .ci/api-fuzz.toml run shared/http/openapi.json \
  --url "$base" \
  --checks "$checks" \
  --max-examples "$max_examples" \
  --seed "${API_FUZZ_SEED:-1}" \
  --generation-database none \
  --workers 1 \
  --request-timeout 10 \
  --no-color || status=$?
echo "api fuzz: $((SECONDS - started)) s"
if [ "$status" -ne 0 ]; then
  echo "== server log (last 50 lines)"
  tail -n 50 "$data/server.log"
fi
exit "$status"
