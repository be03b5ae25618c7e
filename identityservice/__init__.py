"""identityservice: users, passwords, roles and sign-in sessions; returns token claims
for the gateway to sign."""
