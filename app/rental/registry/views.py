"""The registry part's screens (issue 14): registered by app/rental/__init__.py."""


def register(appbuilder):
    """Nothing registered yet: this part's views are being built."""
