"""The product: styles, pieces, materials, colours, options and rules; customer choices become a Design."""
