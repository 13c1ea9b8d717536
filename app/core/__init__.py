"""Engines with no domain knowledge: scope, views, validators, masking, audit, xlsx."""
