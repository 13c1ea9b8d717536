class AnjuRouter:
    """The peer's models live in the benchmark's file; Django's own tables in memory."""

    def db_for_read(self, model, **hints):
        return "anju" if model._meta.app_label == "peer" else "default"

    db_for_write = db_for_read

    def allow_relation(self, a, b, **hints):
        return True

    def allow_migrate(self, db, app_label, **hints):
        return db == "default" and app_label != "peer"
