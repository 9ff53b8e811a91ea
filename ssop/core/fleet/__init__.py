"""The fleet: servers, what a user gives to add or change one, and their host keys."""
