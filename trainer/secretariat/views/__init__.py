"""The secretariat pages: one module per blueprint; templates in templates/secretariat/<name>/."""
