"""The one driver of the browser journeys, used by the browser tests (tests/e2e/test_*.py) and by
the screenshot tour (tests/e2e/tour, run by scripts/screenshots.py).

- server: the app under gunicorn on a free port, with its own database and instance folder
- seed: rows put into that database in-process (a network, staff, members)
- browser: Debian's Chromium, and the devices pages are opened on
- actions: what anyone does on a page (sign in, submit a form, download, read a count card)
- quiz: finding a question by its text in the quiz files, answering it, reading the modules
- workshop: the trainer's form and phases, a phone joining, its one-page tests and survey
- roster: a roster file as Excel saves it, chosen on the import page
- files: what is done with pictures and downloads (QR codes with zbarimg, PDFs with poppler)

The tests assert; the tour takes pictures and notes problems. Both go through these functions, so
a change to a page's form is made once, here.
"""
