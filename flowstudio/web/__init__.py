"""The Flask shell: webhooks, the REST API (and later the editor), thin around the service."""
