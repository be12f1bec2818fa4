"""schemathesis against the gateway's own OpenAPI document (issue 4, "Bad input"): bounded
numbers of generated requests per operation, valid and invalid by the document, sent through
the WSGI transport to the app with the four services running. Whatever the input, the answer
is never a 5xx.

Each operation is tried as a principal it admits (city_hr where it may, else the first role of
its ``x-roles``) and as the anonymous public. Generation is derandomised, so a run repeats the
last one and a failure here is reproducible; the report lists each 5xx with a curl command.
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
from schemathesis.core.errors import InvalidSchema

from gateway.app import close, create_app
from services.applications.service import ApplicationsService
from services.evaluation.service import EvaluationService
from services.matching.service import MatchingService
from services.subsidy.service import SubsidyService
from tests.integration.test_gateway_matrix import headers_of

pytestmark = pytest.mark.integration

SERVICES = (ApplicationsService, EvaluationService, SubsidyService, MatchingService)
EXAMPLES = 15  # per operation, principal and generation mode
EXAMPLES_REFUSED = 1  # the public at an operation that needs a token: a 401 whatever it sends

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
    })
    yield app
    close(app)


def _principal(operation: dict) -> str:
    admitted = [r for r in operation.get("x-roles", []) if r != "public"]
    if not admitted:
        return "anonymous"
    return "city_hr" if "city_hr" in admitted else admitted[0]


def _fuzz(operation: Any, headers: dict, mode: GenerationMode, examples: int) -> list[str]:
    """The 5xx answers of ``examples`` generated requests, each with how to reproduce it."""
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
        if response.status_code >= 500:
            found.append(
                f"{case.as_curl_command(headers)}\n  -> {response.status_code} "
                f"{response.text[:500]}"
            )

    try:
        run()
    except InvalidSchema as exc:  # schemathesis cannot read the operation's definition
        found.append(f"{operation.label}: the document's definition is invalid: {exc}")
    except Unsatisfiable:
        pass  # nothing of the operation can be made invalid (no parameters, no body)
    return found


def test_no_generated_request_gets_a_5xx(app: Flask) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    tried = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        raw = operation.definition.raw
        public = "public" in raw.get("x-roles", []) or "security" not in raw
        principal = _principal(raw)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += _fuzz(operation, headers_of(app, principal), mode, EXAMPLES)
            if public and principal != "anonymous":
                failures += _fuzz(operation, {}, mode, EXAMPLES)
        if not public:  # the public is refused before anything it sends is read
            failures += _fuzz(operation, {}, GenerationMode.POSITIVE, EXAMPLES_REFUSED)
        tried += 1
    assert tried > 100, "the document's operations were not all found"

    assert not failures, f"{len(failures)} requests got a 5xx:\n" + "\n".join(failures)
