#!/bin/bash
# The API server paused (events and reads held, writes accepted): nothing
# changes meanwhile; when it resumes, every held change arrives.
. "$(dirname "$0")/../lib.sh"
fault_case 'as_admin pause?on=1; sleep 0.5; before=$(ruleset)' \
	'[ "$(ruleset)" = "$before" ] || ag_fail "rules changed while paused"; as_admin pause?on=0'
