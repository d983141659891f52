"""Document builders: a frozen dataclass in, PDF bytes out (reportlab). No database, no request."""
