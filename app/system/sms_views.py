"""SMS outbox (短信发件箱): every message the console sent or failed to send, read-only.

With the default ``SMS_BACKEND="outbox"`` nothing leaves the server and this list is
where sysadmin reads the messages (verification codes included). Granted to sysadmin
only (app/security/roles.py); mobiles are masked for a role without the PII permission.
"""
from flask_babel import lazy_gettext as _l

from app.core.sms import STATUS_LABELS, TEMPLATE_LABELS, SmsMessage
from app.core.views import AnjuModelView, ScopedInterface


def _template_label(value):
    return str(TEMPLATE_LABELS.get(value, value or ""))


def _status_label(value):
    return str(STATUS_LABELS.get(value, value or ""))


class SmsOutboxView(AnjuModelView):
    route_base = "/smsoutbox"
    datamodel = ScopedInterface(SmsMessage)
    base_permissions = ["can_list", "can_show", "can_export"]
    list_title = _l("SMS outbox")
    show_title = _l("SMS message")
    xlsx_title = _l("SMS outbox")
    label_columns = {
        "created_at": _l("Date and time"), "mobile": _l("Mobile"), "template": _l("Template"),
        "content": _l("Content"), "status": _l("Status"), "backend": _l("SMS gateway"),
        "error": _l("Error"),
    }
    list_columns = ["created_at", "mobile", "template", "content", "status"]
    show_columns = ["created_at", "mobile", "template", "content", "status", "backend", "error"]
    search_columns = ["mobile", "template", "status", "created_at"]
    base_order = ("created_at", "desc")
    page_size = 50
    mask_columns = {"mobile": "mobile"}
    formatters_columns = {"template": _template_label, "status": _status_label}


def register(appbuilder):
    """The outbox under 系统管理."""
    appbuilder.add_view(SmsOutboxView, "SMS outbox", label=_l("SMS outbox"), icon="fa-envelope",
                        category="System")
