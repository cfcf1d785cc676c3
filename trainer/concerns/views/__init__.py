"""The pages of つなぐ: the member's report form and thread, the secretariat's inbox and figures."""
