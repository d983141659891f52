"""Landlord portal tables (simulations, declaration drafts, alerts) arrive with the portal."""
