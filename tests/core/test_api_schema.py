"""The REST API against its own OpenAPI document (schemathesis), in process, bounded and
seeded: every operation, as an enterprise and as sysadmin; no answer may be a 5xx or break
the documented schema. It writes and deletes, so it runs on a database of its own."""
import tempfile

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.conftest import api_token, build_app

# Examples per operation (valid and invalid data mixed): about 60 operations x 2 users stay
# within about two minutes here.
EXAMPLES = 15


def _run(app, username):
    headers = {"Authorization": f"Bearer {api_token(app, username)}"}
    # The document is sysadmin's to read; the operations run as ``username``.
    admin = {"Authorization": f"Bearer {api_token(app, 'admin')}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/_openapi", app, headers=admin)
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith("/security/"):
            continue  # login and refresh: their own tests (tests/security)
        operations += 1

        @hypothesis.settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                             suppress_health_check=list(HealthCheck), phases=[hypothesis.Phase.explicit,
                                                                               hypothesis.Phase.generate])
        @hypothesis.given(case=st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                                         operation.as_strategy(GenerationMode.NEGATIVE)))
        def check(case):
            response = case.call(headers=headers)
            try:
                case.validate_response(response, checks=[not_a_server_error, response_schema_conformance],
                                       headers=headers)
            except BaseException as exc:  # collect all, report together
                failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:600]}")
                raise

        try:
            check()
        except BaseException as exc:  # noqa: B036 - schemathesis raises a group of failures
            if isinstance(exc, KeyboardInterrupt):
                raise
    return operations, failures


@pytest.fixture(scope="module")
def schema_app():
    from app.extensions import db

    application = build_app(tempfile.mkdtemp(prefix="anju-schema-"), name="schema")
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


# The enterprise first: sysadmin's run may delete what the enterprise's would read.
@pytest.mark.parametrize("username", ["ent_a", "admin"])
def test_the_api_keeps_its_schema_and_never_answers_5xx(schema_app, username):
    operations, failures = _run(schema_app, username)
    assert operations >= 40
    assert failures == [], "\n\n".join(dict.fromkeys(failures))
