"""The accounts pages: one module per blueprint; templates in templates/accounts/<blueprint>/."""
