"""Property-based fuzzing of every form and every JSON endpoint: no 500, no half-saved record, French messages."""
