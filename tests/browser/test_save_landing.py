"""In a real browser, a record saved in each module's add form lands on that record with a
message naming it, whatever list was opened before (system, accounts and property forms; the
complaint module has no generic add form)."""
import re

import pytest

from tests.browser.conftest import sign_in
from tests.core.test_landing import CASES, _form_values

# One add form per module, and the enterprise-record sub-domains.
FORMS = {"DictItemView": "/dictitemview", "RealnameRegistryView": "/realnameregistryview",
         "EquipmentView": "/equipment", "EnterpriseHonorView": "/enterprise/honors"}

FILL = """([values]) => {
    const form = document.getElementById('model_form');
    for (const [name, value] of Object.entries(values)) {
        const fields = form.querySelectorAll(`[name="${name}"]`);
        fields.forEach(el => {
            if (el.type === 'checkbox') { el.checked = true; }
            else if (el.tagName === 'SELECT') {
                const wanted = Array.isArray(value) ? value : [value];
                Array.from(el.options).forEach(o => { o.selected = wanted.includes(o.value); });
            } else { el.value = Array.isArray(value) ? value[0] : value; }
            el.dispatchEvent(new Event('change', {bubbles: true}));
        });
    }
}"""


@pytest.mark.parametrize("view_name", sorted(FORMS))
def test_saved_record_is_where_the_browser_lands(live_server, page, view_name):
    user, elsewhere, overrides = CASES[view_name]
    base = FORMS[view_name]
    sign_in(page, live_server, user)
    page.goto(live_server + elsewhere)
    page.goto(live_server + base + "/add")
    values = _form_values(page.content(), overrides)
    page.evaluate(FILL, [values])
    page.click("#model_form button[type=submit], #model_form input[type=submit]")
    page.wait_for_load_state("networkidle")
    path = page.url.split(live_server, 1)[1]
    assert path.startswith(base + "/"), path
    assert not path.startswith(elsewhere)
    message = re.search(r"已保存：(\S+)", page.inner_text(".anju-messages"))
    assert message, page.inner_text(".anju-messages")
