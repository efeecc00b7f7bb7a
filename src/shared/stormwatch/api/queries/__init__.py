"""The queries function's routes, a Router per resource."""
