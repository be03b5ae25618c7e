"""paymentservice: card payments against a mock card network."""
