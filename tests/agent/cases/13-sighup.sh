#!/bin/bash
# SIGHUP re-reads --config: nftables.masqueradeAll turned on in the file
# reaches the kernel (a full sync with the new options), the agent keeps
# running; a broken file leaves the running configuration.
. "$(dirname "$0")/../lib.sh"
as_start || exit 1
node_api
svc_api web 198.18.0.10
slice_api web web-1 "$(ep 198.19.1.10)"
CFG=$AS_DIR/kube-proxy.yaml
printf 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nnftables:\n  masqueradeAll: false\n' >"$CFG"
ag_start --config "$CFG"
wait_current || ag_fail "not programmed"
printf 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nnftables:\n  masqueradeAll: true\n' >"$CFG"
n=$(syncs)
kill -HUP "$AG_PID"
wait_for "$AG_LOG" 'configuration reloaded' 10 || ag_fail "SIGHUP: no reload"
wait_syncs $((n + 1)) || ag_fail "no sync after SIGHUP"
grep '"synced"' "$AG_LOG" | sed -n "$((n + 1))p" | grep -q 'kind=full status=applied' ||
	ag_fail "the sync after SIGHUP is not a full one that applied"
api_objects >"$AS_DIR/objects.json"
timeout 30 "$SVCNFT" diff "${AG_OPTS[@]}" --masquerade-all -f "$AS_DIR/objects.json" >"$AS_DIR/diff.out" 2>&1 ||
	{ cat "$AS_DIR/diff.out"; ag_fail "the kernel is not masquerade-all"; }
# a broken file: reported, nothing changes
printf 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nnftables: [\n' >"$CFG"
before=$(ruleset)
kill -HUP "$AG_PID"
wait_for "$AG_LOG" 'configuration not reloaded' 10 || ag_fail "a broken --config not reported"
sleep 0.5
[ "$(ruleset)" = "$before" ] || ag_fail "a broken --config changed the rules"
kill -0 "$AG_PID" 2>/dev/null || ag_fail "the agent died"
echo ok
