"""Flask-Babel's look-ups made cheap (a list page translates a hundred-odd strings).

Every ``gettext`` finds its context three times over ``flask.g`` (a LocalProxy: ``not g``,
``hasattr``, the attribute), then the locale and its identifier string to find the catalog.
:func:`install` replaces the context look-up with one read of the app context's variable
(same answer: the ``_flask_babel`` namespace on ``g``, None outside an app context) and keeps
the catalog a context last used beside the locale object it was found for, so a change of
locale (``force_locale``, ``refresh``) finds the right one again.
"""
from types import SimpleNamespace

import flask_babel
from flask.globals import _cv_app

_installed = False


def _current_context():
    app_ctx = _cv_app.get(None)
    if app_ctx is None:
        return None
    g = app_ctx.g
    try:
        return g._flask_babel
    except AttributeError:
        ns = g._flask_babel = SimpleNamespace()
        return ns


def install():
    global _installed
    if _installed:
        return
    _installed = True
    flask_babel._get_current_context = _current_context
    original = flask_babel.Domain.get_translations

    def get_translations(self):
        ctx = _current_context()
        if ctx is not None:
            memo = getattr(ctx, "anju_translations", None)
            locale = getattr(ctx, "babel_locale", None)
            if memo is not None and locale is not None and memo[0] is locale and memo[1] is self:
                return memo[2]
        translations = original(self)
        if ctx is not None and getattr(ctx, "babel_locale", None) is not None:
            ctx.anju_translations = (ctx.babel_locale, self, translations)
        return translations

    flask_babel.Domain.get_translations = get_translations
