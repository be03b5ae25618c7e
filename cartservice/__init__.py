"""cartservice: shopping carts in Redis, one hash per owner, expiring after inactivity."""
