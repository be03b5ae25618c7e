"""shippingservice: shipping quotes by destination zone, and shipments handed to a
simulated carrier, tracked as they travel."""
