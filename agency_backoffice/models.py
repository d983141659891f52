"""Back-office tables (households, leases, ledger) arrive with their capabilities."""
