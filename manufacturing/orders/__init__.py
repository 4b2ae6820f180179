"""Orders: a customer's scan and design become an order of custom pairs, each with its pipeline run."""
