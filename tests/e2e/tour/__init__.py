"""The screenshot tour: the main pages at phone width (360 px) and desktop width (1280 px), as
pictures for people (screenshots/<NN>-<name>-<width>.png), through the same driver as the
browser tests (tests/e2e/driver).

Unlike the tests, the tour runs on the demo network (`trainer demo load`: six organisations,
about thirty members), so the pages look as they will in use; and it does not stop at the first
thing wrong but notes it as a problem and goes on, so that one run shows every page.

- pages: 01-48, the signed-out pages, the staff's main pages and the learner's
- certificates: 50-61, the demo learner's certificate, the secretariat's certificate pages
- workshop: 70-89, a live workshop with the projector and three phones
- secretariat: 90-99, a roster import, the completion table, the report and its print view
"""
