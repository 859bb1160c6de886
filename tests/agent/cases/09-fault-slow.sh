#!/bin/bash
# Every API response 700 ms late, watches dropped meanwhile: slow but no
# update lost.
. "$(dirname "$0")/../lib.sh"
fault_case 'as_admin slow?ms=700; as_admin drop' 'as_admin drop; sleep 2; as_admin slow?ms=0'
