#!/bin/bash
# Deploy tier: deploy/ read by the installed kubectl (offline) and by svcnft's
# own config and kubeconfig readers. No network, no root.
set -u
cd "$(dirname "$0")/../.."
for f in svcnft build/tests/kubeconfig_check; do
	if [ ! -x "$f" ]; then
		echo "deploy: $f is missing (make check builds it)"
		echo "deploy: 0 passed, 1 failed"
		exit 1
	fi
done
exec timeout 300 python3 tests/deploy/test_deploy.py
