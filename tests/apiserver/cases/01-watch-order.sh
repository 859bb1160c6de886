#!/bin/bash
# List then watch: events arrive in order, as the server cut them: every
# chunk cut in 7-byte pieces (events span chunks), and several events held
# back and sent in one chunk. The kube-proxy label selector applies to list
# and watch: a headless Service is never seen; a label change that moves a
# Service out of the selector is a DELETED, back in an ADDED.
set -u
. "$(dirname "$0")/../lib.sh"
trap as_cleanup EXIT

as_start || fail "server"
svc default web
svc default hidden '{"service.kubernetes.io/headless":""}'
svc other api '{"app":"api"}'
as_admin 'split?n=7'
kw_start --resources services
wait_for "$KW_OUT" '^ALL SYNCED' 10 || fail "no sync"

# Three writes held back by a pause arrive together, in order.
as_admin 'pause?on=1'
as_api PATCH /api/v1/namespaces/default/services/web '{"metadata":{"labels":{"v":"2"}}}' >/dev/null
svc default db
svc_del other api
as_admin 'pause?on=0'
wait_for "$KW_OUT" '^services DELETED other/api' 10 || fail "held events"

# Out of the selector and back in.
as_api PATCH /api/v1/namespaces/default/services/db \
	'{"metadata":{"labels":{"service.kubernetes.io/service-proxy-name":"other"}}}' >/dev/null
as_api PATCH /api/v1/namespaces/default/services/db \
	'{"metadata":{"labels":{"service.kubernetes.io/service-proxy-name":null}}}' >/dev/null
as_api PATCH /api/v1/namespaces/default/services/hidden '{"metadata":{"labels":{"x":"1"}}}' >/dev/null
wait_for "$KW_OUT" '^services ADDED default/db' 10 2 || fail "back in the selector"
kw_stop

expect_events services "services ADDED default/web list
services ADDED other/api list
services SYNCED
services MODIFIED default/web
services ADDED default/db
services DELETED other/api
services DELETED default/db
services ADDED default/db"

# The RVs of the watch events increase, and each is the server's.
rvs=$(events services | grep -v ' list$' | grep -v SYNCED | sed -E 's/.* rv=([0-9]+).*/\1/' | tr '\n' ' ')
[ "$rvs" = "5 6 7 8 9 " ] || fail "watch RVs: $rvs (want 5 6 7 8 9)"
grep -q 'timeoutSeconds' "$AS_DIR/requests.log" || fail "no watch request"
exit 0
