"""つなぐ: what a member noticed, reported from the back of their badge or their personal page,
and the secretariat's handling of it (inbox, instructions, figures, retention)."""
