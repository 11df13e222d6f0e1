#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Direct routing through the IPv6 VIP: the IPv4 test's checks with family 6.
FAMILY=6 exec "$(dirname "$0")/test_dr_v4.sh"
