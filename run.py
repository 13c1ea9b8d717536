"""Entry point: `flask --app run ...` and `gunicorn run:app` find the app here."""
from app import create_app

app = create_app()
