#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Scale-out over BGP + ECMP with wlc: the Join and Leave scenarios of
# test_bgp_leave_join.sh on 4 nodes that sync their connections to each
# other (ha: sync: mode: active-active). A 4th node joins (once every peer's
# full sync reached it), then one node's link goes down and its xlbd is
# killed (-9), each during 100 checksummed downloads: the flows ECMP moves
# find their state on the node they reach and >= 99 downloads complete.
BGP_LEAVE_SCHED=wlc exec "$(dirname "$0")/test_bgp_leave_join.sh"
