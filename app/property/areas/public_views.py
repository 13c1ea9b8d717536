"""The area's public page (no login): GET /area/<public_code> (app/property/public.py sections).

Anyone with the link (the 码上办 QR code prints it) reads the area's name, address, regions,
property type, company, developer, committee and the lead's public contact (masked name and the
company's contact phone), the 码上办 and 报修 links, then what other parts publish about the area.
Unknown codes are 404; nothing personal is shown."""
from flask import abort, url_for
from flask_appbuilder import BaseView, expose

from app.property import public
from app.property.areas import query


class AreaPublicView(BaseView):
    route_base = "/area"
    default_view = "page"

    @expose("/<code>")
    def page(self, code):
        area = query.public_area(code)
        if area is None:
            abort(404)
        return self.render_template(
            "anju/property/areas/public.html", title=area.name, area=query.public_facts(area),
            sections=public.sections(area),
            complaint_url=url_for("ComplaintPublicView.new", area=area.public_code),
            repair_url=f"{self.route_base}/{area.public_code}/repair")
