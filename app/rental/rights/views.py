"""用户维权 for the public (/rental/rights/, seed 000 反馈意见 → 用户维权): the four steps of the
seed on one page (投诉人信息, 投诉内容, 选择文件, 提交), signing in optional, and the answer page
with the number. Thin over app/rental/rights/services.py; following the complaint afterwards
is the complaints engine's page (/complaint/track)."""
from flask import abort, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.views import attempt, client_ip
from app.complaints.models import Complaint
from app.core.scope import current_user_obj
from app.extensions import db
from app.rental.rights import services

DONE_KEY = "rental_rights_done"
KEPT = ("name", "id_number", "mobile", "address", "enterprise", "subject_number", "content")


class RentalRightsView(BaseView):
    route_base = "/rental/rights"
    default_view = "new"

    @expose("/", methods=["GET", "POST"])
    def new(self):
        user = current_user_obj()
        search = request.args.get("q", "")
        error, values = None, {}
        if request.method == "GET" and user is not None:
            known = accounts.known_identity(user)
            values = {k: known[k] for k in ("name", "id_number", "mobile") if known.get(k)}
        if request.method == "POST":
            values = {k: request.form.get(k, "") for k in KEPT}
            complaint, error = attempt(lambda: services.submit(
                request.form, request.files.getlist("files"), user=user, ip=client_ip()))
            if complaint is not None:
                session[DONE_KEY] = complaint.number
                return redirect(url_for("RentalRightsView.done"))
        verified = bool(accounts.known_identity(user).get("verified")) if user is not None else False
        page = self.render_template(
            "anju/rental/public/rights.html", title=_("Defend your rights"), values=values, error=error,
            search=search, enterprises=services.enterprise_choices(search),
            sms_optional=user is not None and bool(getattr(user, "mobile", None)), from_identity=verified)
        return page, 422 if error else 200

    @expose("/done")
    def done(self):
        number = session.get(DONE_KEY)
        complaint = db.session.execute(select(Complaint).where(Complaint.number == number)).scalars().first() \
            if number else None
        if complaint is None:
            abort(404)
        user = current_user_obj()
        return self.render_template(
            "anju/rental/public/rights_done.html", title=_("Defend your rights"), item=complaint,
            mine=user is not None and complaint.complainant_id == user.id)


def register(appbuilder):
    appbuilder.add_view_no_menu(RentalRightsView())
