"""The secretariat's downloads (書き出し): certificates, answers, and members with their
completion status, as CSV or xlsx. Each is filtered, logged and made into a file here; every
file names people, so each download is on record before it is sent."""
