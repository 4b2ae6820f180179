"""People who sign in: customers, staff, pattern makers and administrators; their roles, password hashes and
the login rate limit. Machines do not sign in here (their tokens are settings: web/api/jobs.py)."""
