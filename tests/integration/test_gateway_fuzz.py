"""schemathesis against the gateway's own OpenAPI document (issue 13, "How it is checked"):
every operation, tried with the token of each role it admits and as the anonymous public,
with requests valid by the document (positive) and invalid (negative), sent through the WSGI
transport to a throwaway stack (the four services on this test's vhost and databases). Whatever
the input: no 5xx, and every answer whose status the document declares conforms to the schema
it declares (the answer schemas have required fields, so this can fail).

Bounded so that it runs in a few minutes: a few generated cases per operation, role and mode.
Generation is derandomised, so a run repeats the last one and a failure here is reproducible;
the report lists each failure with a curl command.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.errors import InvalidSchema
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from gateway.app import close, create_app
from services.applications.service import ApplicationsService
from services.evaluation.service import EvaluationService
from services.matching.service import MatchingService
from services.subsidy.service import SubsidyService
from tests.integration.test_gateway_matrix import headers_of

pytestmark = pytest.mark.integration

SERVICES = (ApplicationsService, EvaluationService, SubsidyService, MatchingService)
# Cases per operation, role and mode: about 130 operations × their roles stay in minutes.
EXAMPLES = {GenerationMode.POSITIVE: 3, GenerationMode.NEGATIVE: 2}
EXAMPLES_REFUSED = 1  # the public at an operation that needs a token: a 401 whatever it sends
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture
def app(runner_factory: Any, service_config: dict, database_url: str) -> Iterator[Flask]:
    runner_factory(service_config, *SERVICES).start()
    app = create_app({
        **service_config,
        "GATEWAY_DATABASE_URL": database_url,
        # Generous limits, so that generated bodies reach validation instead of a 429.
        "LOGIN_RATE_LIMIT": "100000 per minute",
        "LOGIN_ACCOUNT_RATE_LIMIT": "100000 per minute",
        "OBJECTION_RATE_LIMIT": "100000 per hour",
        "REGISTRATION_RATE_LIMIT": "100000 per hour",
    })
    yield app
    close(app)


def _principals(operation: dict) -> list[str]:
    """Each role the operation admits (the auditor too, where it reads), as a token's role."""
    return [r for r in operation.get("x-roles", []) if r != "public"]


def _fuzz(operation: Any, headers: dict, mode: GenerationMode, examples: int) -> list[str]:
    """The failures of ``examples`` generated requests, each with how to reproduce it."""
    found: list[str] = []

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],  # report, do not shrink
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        try:
            response = case.call(headers=headers)
        except Exception as exc:  # schemathesis re-raises what the app did not handle: a 500
            found.append(f"{case.as_curl_command(headers)}\n  -> unhandled {exc!r}")
            return
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (AssertionError, FailureGroup) as failure:
            found.append(f"{case.as_curl_command(headers)}\n  -> {response.status_code} "
                         f"{str(failure)[:800]}")

    try:
        run()
    except InvalidSchema as exc:  # schemathesis cannot read the operation's definition
        found.append(f"{operation.label}: the document's definition is invalid: {exc}")
    except Unsatisfiable:
        pass  # nothing of the operation can be made invalid (no parameters, no body)
    return found


def test_no_generated_request_gets_a_5xx_or_a_nonconforming_answer(app: Flask) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    tried, roles_seen = 0, set()
    for result in schema.get_all_operations():
        operation = result.ok()
        raw = operation.definition.raw
        public = "public" in raw.get("x-roles", []) or "security" not in raw
        for role in _principals(raw):
            roles_seen.add(role)
            for mode, examples in EXAMPLES.items():
                failures += _fuzz(operation, headers_of(app, role), mode, examples)
        if public:
            for mode, examples in EXAMPLES.items():
                failures += _fuzz(operation, {}, mode, examples)
        else:  # the public is refused before anything it sends is read
            failures += _fuzz(operation, {}, GenerationMode.POSITIVE, EXAMPLES_REFUSED)
        tried += 1
    assert tried > 100, "the document's operations were not all found"
    assert len(roles_seen) >= 10, f"not every role was tried: {sorted(roles_seen)}"

    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures)
