"""Pure rules of the landlord portal: no Flask, no session, every figure passed in as data."""
