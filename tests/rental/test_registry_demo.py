"""The demo registry (app/rental/demo.py): about 300 properties in 渝中区, loaded once however
often it runs, with the two listings of DEMO_LISTINGS verifiable by a newcomer and the
sealed / mortgaged ones failing with their reasons."""
from sqlalchemy import func, select

from app.extensions import db
from tests.rental.helpers import new_rental_enterprise


def test_load_registry_is_idempotent_and_its_listings_verify(app):
    from app.cli import DEMO_PERSONS
    from app.core.validators import id_check_char
    from app.rental import demo
    from app.rental.registry.models import PropertyOwner, RentalProperty
    from app.rental.verification import services

    with app.test_request_context("/"):
        demo.load_registry()
        assert demo.load_registry() == 0
        count = db.session.execute(select(func.count()).select_from(RentalProperty).where(
            RentalProperty.cert_no.like("渝（2024）渝中区不动产权第%号"))).scalar_one()
        assert count == 300
        assert db.session.execute(select(func.count()).select_from(RentalProperty).where(
            RentalProperty.cert_no.like("渝（2024）渝中区不动产权第%号"),
            RentalProperty.region_code != "500103")).scalar_one() == 0
        # Every generated owner has a valid ID number.
        from app.accounts.services import clean_id

        for number in db.session.execute(select(PropertyOwner.id_number).join(RentalProperty).where(
                RentalProperty.cert_no.like("渝（2024）渝中区不动产权第%号")).limit(400)).scalars():
            assert clean_id("resident_id", number) == number
        # The demo persons own the two listings a newcomer verifies.
        persons = {name: first17 + id_check_char(first17) for _u, name, first17, _v in DEMO_PERSONS}
        named = {o["name"]: o["id_number"] for listing in demo.DEMO_LISTINGS for o in listing["owners"]}
        assert named["李四"] == persons["李四"] and named["张小三"] == persons["张小三"]

        _org, _admin, agent = new_rental_enterprise()
        for listing in demo.DEMO_LISTINGS:
            v = services.verify(listing, agent)
            assert v.passed, v.reasons
        fields = dict(demo.DEMO_LISTINGS[0], cert_no=demo.CERT_FORMAT.format(n=3))
        prop = db.session.execute(select(RentalProperty).where(RentalProperty.cert_no == fields["cert_no"])).scalar_one()
        fields["owners"] = [{"name": o.name, "id_type": o.id_type, "id_number": o.id_number} for o in prop.owners]
        fields["region_code"] = prop.street_code
        assert services.verify(fields, agent).reasons == ["sealed"]
        db.session.rollback()
