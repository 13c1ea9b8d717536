"""Filled in by the credit API work."""


def register(appbuilder):
    return None
