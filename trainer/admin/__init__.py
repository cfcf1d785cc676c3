"""Platform administration: networks and their first secretariat user."""
