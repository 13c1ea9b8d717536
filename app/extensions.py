"""The singletons every module shares. Created once, bound in create_app()."""
from flask_appbuilder import Model
from flask_appbuilder.models.sqla.base import SQLA
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

# One declarative base: FAB's Model. A separate db.Model breaks FKs to ab_user
# and makes Alembic propose dropping the ab_* tables.
db = SQLA(model_class=Model)
migrate = Migrate()
csrf = CSRFProtect()
