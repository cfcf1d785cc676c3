"""The workshops pages: one module per blueprint; templates in templates/workshops/<blueprint>/."""
