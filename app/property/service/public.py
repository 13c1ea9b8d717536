"""物业服务 public pages (no login, the public layout):

* ``GET|POST /area/<public_code>/repair``  报修: a resident reports a repair for the area;
* ``GET|POST /repair/track``               报修查询: number + mobile + SMS code, then
  ``/repair/view/<number>`` (progress, and the evaluation once finished);
* ``GET|POST /survey/<id>``                满意度调查: an owner answers;
* the "open surveys" section of an area's public page (app/property/public.py).
"""
from flask import abort, flash, redirect, request, session, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts.views import FormPage, attempt, field
from app.core import sms, uploads
from app.core.scope import current_user_obj
from app.extensions import db
from app.property.service import repairs, surveys
from app.property.service.models import SURVEY_ITEMS, Repair, Survey

SESSION_KEY = "repair_access"


def _granted():
    return set(session.get(SESSION_KEY, []))


def _grant(repair_id):
    session[SESSION_KEY] = list(_granted() | {repair_id})[-20:]


def survey_section(area):
    """The area's open surveys, linked to their answer pages."""
    rows = surveys.open_surveys_of_area(area)
    if not rows:
        return None
    return {"title": _("Satisfaction surveys"), "template": "anju/property/service/_survey_section.html",
            "context": {"surveys": rows}}


class RepairPublicView(FormPage, BaseView):
    route_base = ""
    default_view = "track"
    public_layout = True

    def _fields(self, area):
        fields = [
            field("area_name", _("Property management area"), "static",
                  text=f"{area.name}（{''.join(r.name for r in (area.district, area.street) if r)}）"),
            field("name", _("Reporter")),
            field("mobile", _("Mobile")),
            field("captcha", _("Picture code"), "captcha", purpose="sms"),
            field("sms_code", _("SMS code"), "sms", purpose=sms.SmsPurpose.COMPLAINT, mobile_field="mobile",
                  check=["name"]),
        ]
        if repairs.has_houses(area):
            fields += [
                field("location_kind", _("Repair location"), "select",
                      options=[(repairs.LOCATION_HOUSE, _("My house")), (repairs.LOCATION_COMMON, _("Common area"))]),
                field("building", _("Building"), "select", required=False,
                      options=[("", _("Please choose"))] + [(b, b) for b in repairs.building_options(area)],
                      help=_("For a house: choose the building, then enter the unit (if any) and the room number.")),
                field("unit", _("Unit"), required=False),
                field("room", _("Room number"), required=False),
                field("location", _("Common area location"), required=False,
                      help=_("For a common area: where it is, e.g. 2栋电梯厅, 地下车库B区.")),
            ]
        else:
            fields.append(field("location", _("Repair location"), help=_("Where it is, e.g. 2栋电梯厅, 地下车库B区.")))
        equipment = repairs.equipment_options(area)
        if equipment:
            fields.append(field("equipment", _("Equipment"), "select", required=False,
                                options=[("", _("None (not an item of equipment)"))] + [(str(k), v) for k, v in equipment]))
        fields += [
            field("content", _("Repair content"), "textarea"),
            field("photos", _("Photos"), "file", required=False,
                  help=_("JPG or PNG photos, at most %(n)s, each at most %(mb)s MB.",
                         n=repairs.get_param("property.repair_photo_max_files"),
                         mb=repairs.get_param("property.repair_photo_max_mb"))),
        ]
        return fields

    @expose("/area/<code>/repair", methods=["GET", "POST"])
    def report(self, code):
        area = repairs.area_by_code(code)
        if area is None:
            abort(404)
        error = None
        if request.method == "POST":
            repair, error = attempt(lambda: repairs.report(area, request.form, request.files.getlist("photos"),
                                                           user=current_user_obj()))
            if repair is not None:
                _grant(repair.id)
                flash(_("Your repair report has been submitted. Its number is %(number)s; a receipt was sent by SMS.",
                        number=repair.number), "success")
                return redirect(url_for("RepairPublicView.view", number=repair.number))
        return self._render(_("Report a repair"), self._fields(area), error=error,
                            intro=_("The property service company of the area handles your report; you are told "
                                    "by SMS when it is assigned and completed, and may evaluate the repair."),
                            links=[(url_for("RepairPublicView.track"), _("Follow a repair"))])

    @expose("/repair/track", methods=["GET", "POST"])
    def track(self):
        fields = [
            field("number", _("Repair number")),
            field("mobile", _("Mobile")),
            field("captcha", _("Picture code"), "captcha", purpose="sms"),
            field("sms_code", _("SMS code"), "sms", purpose=sms.SmsPurpose.COMPLAINT, mobile_field="mobile"),
        ]
        error = None
        if request.method == "POST":
            repair, error = attempt(lambda: repairs.verify_tracking(
                request.form.get("number"), request.form.get("mobile"), request.form.get("sms_code")))
            if repair is not None:
                _grant(repair.id)
                return redirect(url_for("RepairPublicView.view", number=repair.number))
        return self._render(_("Follow a repair"), fields, error=error,
                            intro=_("Enter the repair number and the mobile it was reported with."))

    def _mine(self, number):
        repair = db.session.query(Repair).filter(Repair.number == number).first()
        if repair is None or repair.id not in _granted():
            abort(404)
        return repair

    @expose("/repair/view/<number>")
    def view(self, number):
        repair = self._mine(number)
        return self.render_template("anju/property/service/repair_mine.html", item=repair, title=_("My repair"),
                                    status_label=repairs.status_label, may_evaluate=repairs.may_evaluate(repair),
                                    files=uploads.files_of(repair))

    @expose("/repair/view/<number>/evaluate", methods=["POST"])
    def evaluate(self, number):
        repair = self._mine(number)
        _done, error = attempt(lambda: repairs.evaluate(repair, request.form.get("satisfaction"),
                                                        request.form.get("comment")))
        if error is None:
            flash(_("Thank you for your evaluation."), "success")
        return redirect(url_for("RepairPublicView.view", number=number))


SCORE_OPTIONS = [("", _l("Please choose"))] + [(str(n), "★" * n) for n in range(5, 0, -1)]


class SurveyPublicView(FormPage, BaseView):
    route_base = "/survey"
    default_view = "answer"
    public_layout = True

    @expose("/<int:pk>", methods=["GET", "POST"])
    def answer(self, pk):
        survey = db.session.get(Survey, pk)
        if survey is None or survey.status == "draft":
            abort(404)
        problem = surveys.open_for_answers(survey)
        area_options = [("", _("Please choose"))] + [(str(sa.area_id), sa.area.name) for sa in survey.areas]
        fields = [
            field("area", _("Property management area"), "select", options=area_options),
            field("name", _("Owner's name")),
            field("id_number", _("ID number"), help=_("As registered for your house.")),
        ]
        fields += [field(f"score_{k}", label, "select", options=SCORE_OPTIONS) for k, label in SURVEY_ITEMS]
        fields.append(field("comment", _("Comments and suggestions"), "textarea", required=False))
        error = problem
        if request.method == "POST" and problem is None:
            response, error = attempt(lambda: surveys.answer(survey, request.form))
            if response is not None:
                return self.render_template("anju/property/service/survey_message.html", survey=survey,
                                            title=survey.title, message=_("Thank you; your answers were recorded."),
                                            ok=True)
        if problem:
            return self.render_template("anju/property/service/survey_message.html", survey=survey,
                                        title=survey.title, message=problem, ok=False)
        return self._render(survey.title, fields, error=error,
                            intro=survey.description or _("Owners of the areas below are invited to rate the "
                                                          "property services from 1 to 5 stars."),
                            submit=_("Submit answers"))
