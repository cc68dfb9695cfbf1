"""ASGI entry point for uvicorn: ``uvicorn webapp.asgi:app`` (database from $REFORMWATCH_DB)."""
from webapp.app import create_app

app = create_app()
