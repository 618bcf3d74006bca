"""Open data of the public projects: the Open Contracting for Infrastructure Data Standard
(OC4IDS) project package (`oc4ids.py`) and a CSV table (`tabular.py`), each built over a
queryset its caller passes (the public projects; see `views.public_projects`), with nothing
of contacts, people or internal notes."""
