"""Complaint statistics (placeholder until the statistics page lands)."""


def register(appbuilder):
    pass
