"""Security: the user model, role catalogue, password policy, lockout and session rules."""
