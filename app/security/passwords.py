"""The one password policy: 8-20 characters, at least three of upper, lower, digit, symbol.

Enforced where a password is set: FAB forms (FAB_PASSWORD_COMPLEXITY_VALIDATOR),
the security manager's add_user/reset_password (CLI, seed, API) and our own forms.
"""
from flask_appbuilder.exceptions import PasswordComplexityValidationError

from app.core.validators import ValidationError, check_password_strength


def fab_password_validator(password):
    """Adapter for FAB_PASSWORD_COMPLEXITY_VALIDATOR."""
    try:
        check_password_strength(password)
    except ValidationError as exc:
        raise PasswordComplexityValidationError(str(exc))


def ensure_strong(password):
    """Raise ValidationError (Chinese message) if the password breaks the policy."""
    check_password_strength(password)
