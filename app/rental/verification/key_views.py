"""平台接口密钥 (系统管理 → 平台接口密钥): sysadmin's screens over apikeys.py, and the command
``flask rental issue-key``.

* ``PlatformKeyView`` (/system/platform-keys/): the keys (platform organisation, account, key
  name, prefix, created, last used, expires, state 有效/已吊销/已过期), filtered by state;
  签发密钥 (choose an api_client account, a name, an optional expiry) shows the key ONCE on its
  result page; 吊销 asks first, then the key stops working at once. Only sysadmin holds these
  permissions (三员分立: issuing credentials is the security administrator's work); the
  service refuses anyone else too.
"""
import click
from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import masking
from app.core.errors import DomainError
from app.core.scope import current_user_obj
from app.extensions import db
from app.rental.verification import apikeys


def _day(value):
    return value.strftime("%Y-%m-%d") if value else ""


def _minute(value):
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def account_text(user):
    name = (user.get_full_name() or "").strip()
    shown = masking.for_viewer("name", name) if name else ""
    return f"{shown}（{masking.for_viewer('account', user.username)}）" if shown else \
        masking.for_viewer("account", user.username)


class PlatformKeyView(BaseView):
    route_base = "/system/platform-keys"
    default_view = "list"
    base_permissions = ["can_list", "can_add", "can_revoke"]
    method_permission_name = {"list": "list", "issue": "add", "revoke": "revoke"}

    @expose("/")
    @has_access
    def list(self):
        state = request.args.get("state") or None
        if state not in (None, *apikeys.KeyState.ALL):
            state = None
        page = request.args.get("page", "0")
        page = int(page) if page.isdigit() and len(page) <= 6 else 0
        rows, has_more = apikeys.key_rows(state=state, page=page)
        items = [{
            "id": key.id, "org": user.org.name if user.org else "", "account": account_text(user),
            "name": key.name, "prefix": key.key_prefix, "created": _minute(key.created_on),
            "last_used": _minute(key.last_used_on), "expires": _day(key.expires_on),
            "revoked": _minute(key.revoked_on), "state": apikeys.state_of(key), "state_label": apikeys.state_label(key),
        } for key, user in rows]
        return self.render_template(
            "anju/rental/apikeys/list.html", title=_("Platform API keys"), items=items, state=state, page=page,
            has_more=has_more, states=[(s, str(apikeys.STATE_LABELS[s])) for s in apikeys.KeyState.ALL],
            may_issue=current_app.appbuilder.sm.has_access("can_add", "PlatformKeyView"),
            may_revoke=current_app.appbuilder.sm.has_access("can_revoke", "PlatformKeyView"),
        )

    def _form(self, values, error=None):
        accounts = [(u.id, f"{u.org.name if u.org else ''} {account_text(u)}".strip())
                    for u in apikeys.platform_accounts()]
        return self.render_template("anju/rental/apikeys/issue.html", title=_("Issue a platform API key"),
                                    values=values, error=error, accounts=accounts)

    @expose("/issue", methods=["GET", "POST"])
    @has_access
    def issue(self):
        if request.method == "GET":
            return self._form({"user_id": request.args.get("user_id", "")})
        values = {k: request.form.get(k, "") for k in ("user_id", "name", "expires_on")}
        try:
            key, plaintext = apikeys.issue(current_user_obj(), values["user_id"], values["name"],
                                           values["expires_on"])
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            return self._form(values, error=str(exc))
        # Rendered in the answer to the POST (no redirect, nothing kept): the one time it is shown.
        from app.security.models import AnjuUser

        user = db.session.get(AnjuUser, key.user_id)
        return self.render_template(
            "anju/rental/apikeys/issued.html", title=_("Platform API key issued"), plaintext=plaintext,
            key={"name": key.name, "prefix": key.key_prefix, "expires": _day(key.expires_on),
                 "org": user.org.name if user.org else "", "account": account_text(user)},
            api_url=url_for("ListingVerificationApi.post", _external=True))

    @expose("/revoke/<int:key_id>", methods=["POST"])
    @has_access
    def revoke(self, key_id):
        if apikeys.get_key(key_id) is None:
            abort(404)
        try:
            key = apikeys.revoke(current_user_obj(), key_id)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            flash(_("API key %(prefix)s (%(name)s) was revoked; calls with it are refused from now on.",
                    prefix=key.key_prefix, name=key.name), "success")
        return redirect(url_for("PlatformKeyView.list"))


def register(appbuilder):
    appbuilder.add_view(PlatformKeyView, "Platform API keys", label=_l("Platform API keys"), icon="fa-key",
                        category="System", category_label=_l("System"), category_icon="fa-cog")


def register_cli(app):
    """``flask rental issue-key --username platform_a --name demo``: prints the new key (and only
    the key) on stdout, so a script can keep it; what it is goes to stderr. The rental command
    group is shared: made here unless another part made it first."""
    from flask.cli import AppGroup

    group = app.cli.commands.get("rental")
    if group is None:
        group = AppGroup("rental", help="Rental supervision (app/rental).")
        app.cli.add_command(group)

    @group.command("issue-key")
    @click.option("--username", required=True, help="An active account with the role api_client.")
    @click.option("--name", "name", required=True, help="What the key is for, e.g. demo.")
    @click.option("--expires", default=None, metavar="YYYY-MM-DD", help="Last day the key works (default: never).")
    def issue_key(username, name, expires):
        """Issue a platform API key (shown once: keep it)."""
        g.audit_actor = "cli"
        user = current_app.appbuilder.sm.find_user(username=username)
        if user is None:
            raise click.ClickException(f"no account named {username!r}")
        try:
            key, plaintext = apikeys.issue(None, user.id, name, expires)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
        click.echo(f"API key {key.key_prefix}… ({key.name}) issued to {username}"
                   f"{'; expires ' + _day(key.expires_on) if key.expires_on else ''}. "
                   "It is shown this once: keep it now.", err=True)
        click.echo(plaintext)
