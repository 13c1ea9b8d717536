"""The filing part's REST endpoints (issue 14): registered by app/rental/__init__.py."""


def register(appbuilder):
    """Nothing registered yet: this part's api are being built."""
