"""Organisations and regions, dictionaries, runtime parameters, audit-log and home views."""
