"""Back-office writes: add and flush, write the audit entry, never commit."""
