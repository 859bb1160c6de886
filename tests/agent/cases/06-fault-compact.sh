#!/bin/bash
# History compacted (ERROR 410 Expired on the watch, then HTTP 410): the
# agent relists and the relist's difference carries the changes.
. "$(dirname "$0")/../lib.sh"
fault_case 'as_admin compact; as_admin drop' 'as_admin compact?http=1; as_admin drop'
grep -qE 'relist|expired|Expired|410' "$AG_LOG" || ag_fail "no relist logged"
