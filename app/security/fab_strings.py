"""Flask-AppBuilder strings that its own zh catalog lacks or marks fuzzy (FAB 5.3.0).

Listed here so that `make extract-messages` puts them in our catalog, which Flask-Babel
merges over FAB's. Never imported for its values; the list is the point.
"""
from flask_babel import lazy_gettext as _l

FAB_GAPS = [
    _l("Database Error"), _l("Not a valid choice"),
    _l("Must have at least two capital letters, one special character, two digits, three lower case letters and a minimal length of 10."),
    _l("Contains (insensitive)"), _l("Start with"), _l("In"), _l("Not In"),
    _l("Either select a role or a group"), _l("List Groups"), _l("Edit User Information"),
    _l("User information changed"), _l("Groups"), _l("The user's password for authentication"),
    _l("It's not a good policy to remove a user, just make it inactive"),
    _l("The user group on the application, this will associate with a list of roles associated with the group"),
    _l("User(s) exists in the role, cannot delete"), _l("Show Group"), _l("Add Group"), _l("Edit Group"),
    _l("User(s) exists in the group, cannot delete"), _l("Add"), _l("Edit"), _l("Show"), _l("Delete"),
    _l("Are you sure you want to delete this item?"), _l("Sign In with "),
    # hard-coded in FAB's confirm dialog, which app/templates overrides
    _l("Cancel"), _l("OK"),
    # FAB strings whose FAB translation reads poorly in a government console
    _l("Security"), _l("Logout"), _l("Record Count"),
]
