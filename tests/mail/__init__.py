"""Mail for real: the worker, the 送信記録 page, sign-in links by mail."""
