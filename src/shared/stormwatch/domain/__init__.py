"""Domain rules: pure code, no AWS, no HTTP."""
