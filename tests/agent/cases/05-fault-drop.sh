#!/bin/bash
# Every watch dropped abruptly, changes made while the agent re-watches.
. "$(dirname "$0")/../lib.sh"
fault_case 'as_admin drop' 'as_admin drop'
