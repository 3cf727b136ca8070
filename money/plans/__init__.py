"""Payment plans and settlements: instalments, the agreement letter, their daily marking."""
