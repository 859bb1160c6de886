#!/bin/bash
# The token file is re-read when the cached token is older than the reread
# interval (a minute by default, as client-go; 1 s here), so a rotated
# service-account token is picked up before the server refuses the old one:
# no 401 at all.
set -u
. "$(dirname "$0")/../lib.sh"
trap as_cleanup EXIT

as_start || fail "server"
svc default a
echo "$TOKEN" >"$AS_DIR/client-token"
as_kubeconfig "$AS_DIR/tokfile" "tokenFile: $AS_DIR/client-token"
KUBECONFIG_FILE=$AS_DIR/tokfile
kw_start --resources services --token-reread-ms 1000
wait_for "$KW_OUT" '^ALL SYNCED' 10 || fail "no sync"
echo "tok-next-$RANDOM" >"$AS_DIR/client-token"
cp "$AS_DIR/client-token" "$AS_DIR/token"
TOKEN=$(cat "$AS_DIR/token")
sleep 1.5	# the cached token is now older than the interval
as_admin drop
svc default b
wait_for "$KW_OUT" '^services ADDED default/b' 10 || fail "no event with the new token"
grep -q "^# token file $AS_DIR/client-token: new token" "$KW_OUT" || fail "token not re-read"
grep -q ' 401$' "$AS_DIR/requests.log" && fail "a request was refused: the file was not re-read in time"
exit 0
