#!/bin/bash
# Bearer tokens: without one the server answers 401 (and the client says so
# and backs off); a rotated token file is re-read after a 401 and the watch
# goes on from its RV without a relist.
set -u
. "$(dirname "$0")/../lib.sh"
trap as_cleanup EXIT

as_start || fail "server"
svc default a

# The server: 401 with a Status, with no token or a wrong one.
out=$(curl -sS --max-time 5 --cacert "$AS_DIR/ca.crt" "$AS_URL/api/v1/services")
grep -q '"reason":"Unauthorized","code":401' <<<"$out" || fail "no 401 without a token: $out"
out=$(curl -sS --max-time 5 --cacert "$AS_DIR/ca.crt" -H 'Authorization: Bearer nope' "$AS_URL/api/v1/services")
grep -q '"code":401' <<<"$out" || fail "no 401 with a wrong token"

# The client without a token: 401, one immediate retry, then backoff.
as_kubeconfig "$AS_DIR/notoken" "{}"
KW_OUT=$AS_DIR/kw0.out
"$KUBE_WATCH" --kubeconfig "$AS_DIR/notoken" --resources services --duration 3 >"$KW_OUT" 2>&1
grep -q '^# services: HTTP 401 Unauthorized: re-reading the token' "$KW_OUT" || fail "401 not seen"
grep -q '^# services: backoff [0-9.]*s: HTTP 401 Unauthorized (token rejected again)' "$KW_OUT" ||
	fail "a second 401 did not back off"
grep -q SYNCED "$KW_OUT" && fail "synced without a token"

# tokenFile: the client reads it, and reads it again after a 401.
echo "$TOKEN" >"$AS_DIR/client-token"
as_kubeconfig "$AS_DIR/tokfile" "tokenFile: $AS_DIR/client-token"
KUBECONFIG_FILE=$AS_DIR/tokfile
kw_start --resources services
wait_for "$KW_OUT" '^ALL SYNCED' 10 || fail "no sync with tokenFile"
sleep 1.2
# Rotate: the server accepts only the new token; the client's cached one
# is under a minute old, so only the 401 makes it read the file again.
echo "tok-rotated-$RANDOM" >"$AS_DIR/client-token"
cp "$AS_DIR/client-token" "$AS_DIR/token"
TOKEN=$(cat "$AS_DIR/token")
as_admin drop
svc default b
wait_for "$KW_OUT" '^services ADDED default/b' 10 || fail "no event after the rotation"
grep -q '^# services: HTTP 401 Unauthorized: re-reading the token' "$KW_OUT" || fail "no 401 seen"
grep -q "^# token file $AS_DIR/client-token: new token" "$KW_OUT" || fail "token not re-read"
grep -q backoff "$KW_OUT" && fail "backed off on a rotation"
[ "$(grep -c '^# services: LIST' "$KW_OUT")" -eq 1 ] || fail "relisted"
exit 0
