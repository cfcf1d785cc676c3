"""What every page shares: the home page, network dashboard, headers, error pages, helpers."""
