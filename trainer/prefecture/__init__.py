"""The prefecture (都道府県) and national (全国) view: counts per network, no personal data."""
