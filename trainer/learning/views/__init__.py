"""The learning pages: one module per blueprint; templates in templates/learning/<blueprint>/."""
