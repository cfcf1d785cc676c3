"""The pages of 届ける (bulletins)."""
