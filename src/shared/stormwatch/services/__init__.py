"""Use cases: each public method is one thing a handler asks for. Framework-free and clock-injected."""
