"""The commands function's routes, a Router per resource."""
