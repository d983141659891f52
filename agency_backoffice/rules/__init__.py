"""Pure rules of the back office: composition, constraints, scores, assignment, proposal steps."""
