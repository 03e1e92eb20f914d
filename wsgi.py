"""gunicorn's entry point: `gunicorn wsgi:app`. Workers never migrate (`portal db upgrade`
does), so they leave Flask-Migrate out."""

from portal import create_app

app = create_app(migrations=False)
