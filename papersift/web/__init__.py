"""The web app (FastAPI, Jinja2 templates, HTMX): see ``papersift.web.app``."""
