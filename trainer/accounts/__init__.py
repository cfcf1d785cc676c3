"""Networks, organisations, members, staff accounts, roles and sign-in."""
