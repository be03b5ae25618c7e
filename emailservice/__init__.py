"""emailservice: the emails a customer gets about an order (received, paid, payment
failed, shipped, cancelled, refunded), rendered from templates, sent over SMTP or written
to a mail directory, and recorded so they can be listed."""
