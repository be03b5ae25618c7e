"""catalogservice: products, categories, stock and currency conversion."""
