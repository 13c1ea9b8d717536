"""用户维权: complaints about rental enterprises and agencies, filed through the complaints engine
(app/complaints) and routed to the district of the property; see services.py."""
