"""Flask app factory of the reporting service: `gunicorn 'services.reporting.app:create_app()'`."""
from shared.web.app import create_service_app

from . import api, pages
from .service import SERVICE


def create_app(test_config=None):
    """Gives the reporting web app."""
    return create_service_app(SERVICE, api.BLUEPRINTS, pages=pages.PAGES, test_config=test_config)
