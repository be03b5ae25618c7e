"""recommendationservice: products to suggest beside others, learnt from the orders the
shop ships (bought together, best sellers), with same-category products as the last
resort, and never a product the catalog no longer sells."""
