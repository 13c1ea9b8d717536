"""The parts' sections of an area's public page read their context as ``ctx`` (app/property/public.py
includes each template with ``ctx`` and ``section``): 小区动态, 良好行为公示与公告 and 满意度调查 show
their items. Found by the property browser flow: the page showed the headings with empty lists."""
from types import SimpleNamespace

from app.property import public


def _section(template, context, title):
    return lambda area: ({"title": title, "template": template, "context": context(area)}
                         if area.public_code == "demo-qixing" else None)


def test_the_news_honour_and_survey_sections_show_their_items(client):
    added = {
        "t_news": _section("anju/property/news/_section.html", lambda a: {"items": [
            {"id": 901, "title": "停水通知测试", "published_on": "2026-01-02", "by": "测试物业"}],
            "public_code": a.public_code}, "测试动态"),
        "t_honour": _section("anju/property/honour/_section.html", lambda a: {"items": [
            {"id": 902, "title": "义务植树测试", "category": "公益活动", "happened_on": "2026-01-01", "running": True,
             "ends_at": "2026-01-09 00:00", "announced_at": "", "company": "测试物业"}],
            "public_code": a.public_code}, "测试公示"),
        "t_survey": _section("anju/property/service/_survey_section.html", lambda a: {"surveys": [
            SimpleNamespace(id=903, title="满意度测试问卷", start_date="2026-01-01", end_date="2026-01-31")]},
            "测试问卷"),
    }
    for key, build in added.items():
        public.register_section(key, build, order=98)
    try:
        page = client.get("/area/demo-qixing").get_data(as_text=True)
    finally:
        for key in added:
            public._SECTIONS.pop(key, None)
    assert "停水通知测试" in page and "/area/demo-qixing/news/901" in page
    assert "义务植树测试" in page and "/area/demo-qixing/honour/902" in page and "公示中" in page
    assert "满意度测试问卷" in page
