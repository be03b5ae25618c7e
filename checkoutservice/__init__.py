"""checkoutservice: placing orders from carts, and every order's lifecycle."""
