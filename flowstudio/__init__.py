"""FlowStudio: a self-hosted visual flow builder for SMS and voice, compatible with Twilio Studio."""

__version__ = "0.1.0"


def create_app(config: dict | None = None):
    """The Flask application (see flowstudio/web/app.py); for gunicorn:
    `gunicorn 'flowstudio:create_app()'`."""
    from .web.app import create_app as _create_app

    return _create_app(config)
