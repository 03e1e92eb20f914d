"""gunicorn's entry point: `gunicorn wsgi:app`. Workers never migrate (`portal db upgrade`
does), so they leave Flask-Migrate out."""

import gc

from portal import create_app

app = create_app(migrations=False)

# What is loaded by now (Flask, SQLAlchemy, Jinja, the app) lives as long as the worker: set it
# aside from the garbage collector, whose full passes otherwise walk it all, stalling a
# request for 50-90 ms every hundred or so requests.
gc.collect()
gc.freeze()
