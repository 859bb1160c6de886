#!/bin/bash
# The next requests fail (500, then 429 with Retry-After) after the watches
# drop: the agent backs off and comes back with every change.
. "$(dirname "$0")/../lib.sh"
fault_case 'as_admin "fail?n=4&code=500"; as_admin drop' 'as_admin "fail?n=3&code=429"; as_admin drop'
grep -q 'backoff' "$AG_LOG" || ag_fail "no backoff logged"
