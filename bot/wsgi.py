"""WSGI entry point for gunicorn (`madoguchi serve`)."""

from bot.app import create_app

app = create_app()
