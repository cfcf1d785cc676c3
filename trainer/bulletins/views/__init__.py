"""The bulletins' pages: the secretariat's, the member's, the one-click stop, the notice-board
print and the public page with its Atom feed."""
