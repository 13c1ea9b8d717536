"""Filled in by the credit views work."""


def register(appbuilder):
    return None
