"""What the staff pages and commands change: accounts, sign-in attempts, trusted devices, sessions, two-step
sign-in, invitations and erasure. No HTTP here beyond what sign-in must read from the request."""
