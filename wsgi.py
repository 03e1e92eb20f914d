"""gunicorn's entry point: `gunicorn wsgi:app`."""

from portal import create_app

app = create_app()
