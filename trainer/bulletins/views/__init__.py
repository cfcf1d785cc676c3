"""The bulletins' pages: the secretariat's, the member's, and the one-click stop."""
