"""The credit module's registrations with the engines (rule 6 of ARCHITECTURE.md: engines
never import modules; a module registers what an engine needs at start-up):

* home page cards (app/core/worklist.py): an enterprise's 信用等级 and 信用分 (seed 003 §14),
  and a warning while it is on the black list (in effect: danger; in publicity: warning);
* business application warnings (app/core/workflow.py): reviewers see that the applying
  enterprise is black-listed;
* the public enterprise lookup (app/accounts/services.py LOOKUP_EXTRAS): level and list status.

Called once per app from app/credit/views/__init__.py's ``register``.
"""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import workflow, worklist
from app.credit import scoring, services
from app.credit.models import ListStatus, ListType

CARD_PERMISSION = ("can_show", "CreditScoreView")
LEVEL_OF_CARD = {"C": "danger", "B": "warning"}


def score_link(org_id):
    return f"/credit/scores/show/{org_id}"


def score_card(user):
    """信用等级 AAA · 信用分 92 on the enterprise's home page."""
    org_id = getattr(user, "org_id", None)
    if not org_id:
        return None
    score = scoring.score_of(org_id)
    since = getattr(score, "level_since", None)
    detail = _("Credit level %(level)s since %(day)s", level=score.level, day=since.strftime("%Y-%m-%d")) \
        if since else None
    return worklist.Card(title=_l("Credit level · credit score"), value=f"{score.level} · {score.score}",
                         detail=detail, url=score_link(org_id), level=LEVEL_OF_CARD.get(score.level, "info"))


def blacklist_card(user):
    """A warning while the enterprise is on the black list (in effect, or in publicity)."""
    org_id = getattr(user, "org_id", None)
    if not org_id:
        return None
    entries = [e for e in services.active_entries(org_id) if e.list_type == ListType.BLACK]
    if not entries:
        return None
    entry = sorted(entries, key=lambda e: e.status != ListStatus.EFFECTIVE)[0]
    label = services.label_of(services.LIST_TYPE_LABELS, ListType.BLACK)
    if entry.status == ListStatus.EFFECTIVE:
        until = entry.valid_until.strftime("%Y-%m-%d") if entry.valid_until else "-"
        detail = _("%(number)s, in effect until %(until)s: %(reason)s", number=entry.number, until=until,
                   reason=entry.reason)
        level = "danger"
    else:
        until = entry.publicity_until.strftime("%Y-%m-%d %H:%M") if entry.publicity_until else "-"
        detail = _("%(number)s, in publicity until %(until)s; you may object until then.", number=entry.number,
                   until=until)
        level = "warning"
    return worklist.Card(title=_l("Credit warning"),
                         value=f"{label}（{services.label_of(services.LIST_STATUS_LABELS, entry.status)}）",
                         detail=detail, url=services.list_link(entry), level=level)


def application_warning(application):
    """The black list warning on a business application of a black-listed enterprise."""
    return services.blacklist_warning(application.org_id)


def lookup_facts(org):
    """The public enterprise lookup (seed 003 §4): the level and the red/black list status, as on
    信息公示 (nothing personal), with a link there."""
    from urllib.parse import quote

    score = scoring.score_of(org.id)
    link = f"/credit/public/{quote(org.credit_code)}" if org.credit_code else None
    entries = services.active_entries(org.id)
    status = "；".join(f"{services.label_of(services.LIST_TYPE_LABELS, e.list_type)}"
                      f"（{services.label_of(services.LIST_STATUS_LABELS, e.status)}）" for e in entries)
    return [(_("Credit level · credit score"), f"{score.level} · {score.score}", link),
            (_("Red and black lists"), status or _("Not listed"), link)]


def register():
    from app.accounts import services as accounts

    if lookup_facts not in accounts.LOOKUP_EXTRAS:
        accounts.LOOKUP_EXTRAS.append(lookup_facts)
    worklist.register_card("credit.score", score_card, CARD_PERMISSION, when=services.is_enterprise_user, order=10)
    worklist.register_card("credit.blacklist", blacklist_card, CARD_PERMISSION, when=services.is_enterprise_user,
                           order=11)
    workflow.register_warning(application_warning)
    from app.credit import charts; charts.register()  # noqa: E702  (dashboard charts and their summary rows)
