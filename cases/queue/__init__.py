"""The work queue: which case a collector gets next, leases, pools and reassignment."""
