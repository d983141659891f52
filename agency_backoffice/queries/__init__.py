"""Back-office reads."""
