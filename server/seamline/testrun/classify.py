"""Why did a generated test fail? The environment (a service down, a setting or package missing), the
generator (it assumed something about the app that is not so), or a real bug in the app. App bugs
become findings at the handler's file and line.

The test's intent comes from the plan (the same cases the test was generated from), and what
happened from pytest's report: the failing line (marked `>`), the observed status, an exception raised
inside the app's own code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from ..core.generate.tests import Case, Suite
from ..core.generate.tests.adapters import web_adapter
from ..core.generate.tests.model import Flow
from ..core.generate.tests.naming import plural, snake
from ..core.model import Endpoint, Finding, OrmModel, Project
from .runner import Outcome

APP_BUG, GENERATOR, ENVIRONMENT, USER_TEST = "app-bug", "generator", "environment", "user-test"

# A service out of reach (refused, unknown host, no answer in time).
_UNREACHABLE = re.compile(r"Connection refused|could not connect|Name or service not known|could not translate host|"
                          r"timeout expired|Can't connect to|Unknown (?:MySQL )?server host|ServerSelectionTimeout")
_ENV_PATTERNS = (
    (re.compile(r"OperationalError|connection to server|ConnectionError|" + _UNREACHABLE.pattern),
     "a test service did not answer; is the environment up (`seamline env status`)?"),
    (re.compile(r"is not set: run `seamline env up`"), "the test environment's settings are missing"),
    (re.compile(r"points at a database with data"), "the database is not a disposable test database"),
)
_MISSING_MODULE = re.compile(r"ModuleNotFoundError: No module named '([\w.]+)'")
_STATUS = re.compile(r"assert (\d{3}) == (\d{3})")
_BELOW_500 = re.compile(r"assert (\d{3}) < 500")  # an edge-query case's only expectation
_PARAM_ID = re.compile(r"\[([^\]]+)\]$")
_FAILING_LINE = re.compile(r"^>\s+(.*)$", re.MULTILINE)
_FRAME = re.compile(r"^([\w./-]+\.py):(\d+): (\w+(?:Error|Exception|Exit)\w*)", re.MULTILINE)
_CALL_FRAME = re.compile(r"^([\w./-]+\.py):(\d+): in \w+", re.MULTILINE)
# A setup error that is the app's schema failing its own DDL (a foreign key to a non-unique column, a
# duplicate index name): the database refused a CREATE/ALTER the app's models asked for. A service that
# does not answer at all (`_UNREACHABLE`) is the environment even then.
# DDL only: a row the fixtures insert that breaks a foreign key (`violates foreign key constraint`, SQLite's
# `FOREIGN KEY constraint failed`) is the fixtures' doing, not the schema's.
_DDL = re.compile(r"\b(?:CREATE (?:UNIQUE )?(?:TABLE|INDEX)|ALTER TABLE)\b|no unique constraint matching given keys|"
                  r"(?:Failed to add|Cannot add) (?:the )?foreign key constraint", re.IGNORECASE)
_DB_ERROR = re.compile(r"\b(?:ProgrammingError|IntegrityError|OperationalError|DatabaseError|InvalidForeignKey)\b")
_DDL_TABLE = re.compile(r"\b(?:CREATE (?:UNIQUE )?INDEX \S+ ON|CREATE TABLE|ALTER TABLE)\s+[`\"\[]?(\w+)",
                        re.IGNORECASE)
_DB_MESSAGE = re.compile(r"^E\s+(\S*(?:Error|Exception)\S*: .+)$", re.MULTILINE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Classified:
    outcome: Outcome
    category: str  # app-bug | generator | environment | user-test
    reason: str
    endpoint: str = ""
    finding: Finding | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    passed: int
    failed: tuple[Classified, ...]
    findings: tuple[Finding, ...]

    @property
    def total(self) -> int:
        return self.passed + len(self.failed)


def classify(outcomes: Iterable[Outcome], *, suites: Iterable[Suite], project: Project,
             app_packages: Iterable[str] = ()) -> Report:
    suites = list(suites)
    cases = {(m.file, c.name): (s, c) for s in suites for m in s.modules for c in m.cases}
    flows = {(m.file, f.name): (s, f) for s in suites for m in s.modules for f in m.flows}
    endpoints = {(e.app, e.key): e for e in project.endpoints}
    packages = set(app_packages)
    passed = 0
    failed: list[Classified] = []
    for o in outcomes:
        if o.status == "passed":
            passed += 1
            continue
        if o.status == "skipped":
            continue
        where = (PurePosixPath(o.nodeid.split("::", 1)[0]).name, o.function)
        if where in flows:
            suite, flow = flows[where]
            failed.append(_setup_bug(o, suite, project, flow.name) or _environment(o, packages)
                          or _judge_flow(o, flow, suite, endpoints))
            continue
        planned = cases.get(where)
        if planned is None:
            failed.append(_environment(o, packages) or Classified(
                outcome=o, category=USER_TEST, reason="not a test Seamline generated; look at it yourself"))
            continue
        suite, case = planned
        endpoint = endpoints.get((suite.app, case.endpoint))
        failed.append(_setup_bug(o, suite, project, case.endpoint) or _environment(o, packages)
                      or _judge(o, case, endpoint, suite))
    findings: dict[tuple[str, str], Finding] = {}
    for c in failed:
        if c.finding is not None:  # a setup bug is the app's, whichever test met it: one finding
            key = c.finding.file if c.finding.code in _SETUP_CODES else c.endpoint
            findings.setdefault((c.finding.code, key), c.finding)
    return Report(passed=passed, failed=tuple(failed), findings=tuple(findings.values()))


def _environment(o: Outcome, packages: set[str]) -> Classified | None:
    text = f"{o.message}\n{o.details}"
    for pattern, reason in _ENV_PATTERNS:
        if pattern.search(text):
            return Classified(outcome=o, category=ENVIRONMENT, reason=reason)
    m = _MISSING_MODULE.search(text)
    if m:
        top = m.group(1).split(".", 1)[0]
        if top in packages:
            return Classified(outcome=o, category=GENERATOR,
                              reason=f"the test imports {m.group(1)!r}, which the app does not have")
        return Classified(outcome=o, category=ENVIRONMENT,
                          reason=f"package {top!r} is not installed in the interpreter that ran the tests")
    return None


_SETUP_CODES = ("app-bug-schema", "app-bug-setup-error")


def _setup_bug(o: Outcome, suite: Suite, project: Project, endpoint: str) -> Classified | None:
    """A fixture's setup that failed because the database refused the DDL of the app's models: the app's
    schema bug, at the model whose table it is when found. None for anything else (a service out of reach
    is the environment; other setup errors are judged by `_setup_error`)."""
    if o.status != "error":
        return None
    text = f"{o.message}\n{o.details}"
    if _UNREACHABLE.search(text):
        return None
    if _DDL.search(text) and _DB_ERROR.search(text):
        said = _DB_MESSAGE.search(o.details)
        error = (said.group(1) if said else o.message).strip()
        table = _DDL_TABLE.search(text)
        model = _model_of_table(project, suite.app, table.group(1)) if table else None
        where = f" (table {table.group(1)!r}" + (f", model {model.name.rsplit('.', 1)[-1]})" if model else ")") \
            if table else ""
        message = (f"the app's schema cannot be created{where}: the database refused it: {error[:300]}. "
                   "Every test needs these tables; fix the model (a foreign key must point at a unique column)")
        finding = Finding(code="app-bug-schema", message=message, severity="error",
                          file=model.file if model else "", line=model.line if model else 0, app=suite.app)
        return Classified(outcome=o, category=APP_BUG, reason=message, endpoint=endpoint, finding=finding)
    return None


def _setup_error(o: Outcome, suite: Suite, endpoint: str, what: str) -> Classified:
    """A fixture failed before the test ran: the app's bug when the exception came from the app's own
    files (its factory, its models), else the generated conftest's (a generator mistake)."""
    raised = _app_exception(o)
    if raised is None or raised[0].startswith(suite.output.rstrip("/") + "/"):  # in the generated files
        return Classified(outcome=o, category=GENERATOR, endpoint=endpoint,
                          reason=f"{what}: {o.message or 'see the report'}")
    file, line, exc = raised
    message = f"the app raised {exc} at {file}:{line} while the tests were set up (before any request)"
    finding = Finding(code="app-bug-setup-error", message=message, severity="error", file=file, line=line,
                      app=suite.app)
    return Classified(outcome=o, category=APP_BUG, reason=message, endpoint=endpoint, finding=finding)


def _model_of_table(project: Project, app: str, table: str) -> OrmModel | None:
    """The app's model whose table is `table` (declared, or Seamline's default name for it)."""
    mine = [m for m in project.models if app == "." or m.file.startswith(app.rstrip("/") + "/")]
    named = [m for m in mine if (m.table or "").lower() == table.lower()]
    return (named or [m for m in mine if not m.table and table.lower() in (snake(m.name), plural(m.name))] or
            [None])[0]


def _app_exception(o: Outcome) -> tuple[str, int, str] | None:
    """(file, line, exception) of an exception raised in the app's own code (not the tests, not a
    library), from the report's `path.py:line: Error` frame lines; an exception a library raised for
    the app (a database error) is placed at the app's deepest `path.py:line: in func` frame."""
    raised = _FRAME.findall(o.details)
    for file, line, exc in reversed(raised):
        if not _in_app(file) or exc == "AssertionError":
            continue
        return file, int(line), exc
    calls = [(file, int(line)) for file, line in _CALL_FRAME.findall(o.details) if _in_app(file)]
    if raised and raised[-1][2] != "AssertionError" and calls:
        return (*calls[-1], raised[-1][2])
    return None


def _in_app(file: str) -> bool:
    parts = PurePosixPath(file).parts
    return not file.startswith("/") and "site-packages" not in parts and "tests" not in parts[:2]


def _failing_line(o: Outcome) -> str:
    lines = _FAILING_LINE.findall(o.details)
    return lines[-1].strip() if lines else ""


def _judge(o: Outcome, case: Case, endpoint: Endpoint | None, suite: Suite) -> Classified:
    key = case.endpoint
    if o.status == "error":  # a fixture failed: the test never ran
        return _setup_error(o, suite, key, "a fixture failed before the test ran")
    raised = _app_exception(o)
    sent_body = case.request.json is not None or case.request.json_var is not None
    fields = {p.name for p in endpoint.params if p.location in ("body", "form")} if endpoint is not None else set()
    # no request schema in the scan: the body's shape was guessed by the generator (from the models
    # the view writes, or the keys its code reads)
    if raised is not None and raised[2] == "KeyError" and sent_body and endpoint is not None and \
            endpoint.request_schema is None and not (case.kind == "invalid-body" and _missing_key(o) in fields):
        # a key the app looks up in a body whose shape Seamline could only guess: most likely the
        # shape is wrong (an envelope, other names), not the app. (A field the app reads, taken out
        # of an invalid body, is the app's missing check: below.)
        file, line, _exc = raised
        return Classified(outcome=o, category=GENERATOR, endpoint=key,
                          reason=f"the app raised KeyError at {file}:{line} reading the body the test sent, whose "
                                 "shape was guessed (the app declares no request schema Seamline reads): the app "
                                 "expects another shape; edit the test's payload")
    if raised is not None and case.kind == "conflict":
        file, line, exc = raised
        return _bug(o, case, endpoint, "unhandled-unique-violation",
                    f"{key} leaves a duplicate to the database ({exc} at {file}:{line}) instead of answering "
                    f"{case.expect_status}; clients get a 500 ({case.name})")
    if raised is not None and case.kind == "edge-query":
        file, line, exc = raised
        return _bug(o, case, endpoint, "server-error",
                    f"{key} raised {exc} at {file}:{line} for {_param_id(o)}, a value its declared parameters "
                    f"accept (an undeclared edge case); clients get a 500")
    if raised is not None and case.kind == "invalid-body":
        file, line, exc = raised
        return _bug(o, case, endpoint, "crashes-on-invalid-input",
                    f"{key} raised {exc} at {file}:{line} on an invalid body ({case.name}: {_param_id(o)}) instead "
                    "of refusing it; clients get a 500")
    if raised is not None and case.kind not in ("no-auth", "bad-token"):
        file, line, exc = raised
        return _bug(o, case, endpoint, "server-error",
                    f"{key} raised {exc} at {file}:{line} on a valid request ({case.name}); "
                    "clients get a 500")
    if "NoReverseMatch" in o.message and raised is None:
        # Django could not build a URL the app names (a template or a redirect): the app's urlconf lacks it
        return _bug(o, case, endpoint, "broken-url-name",
                    f"{key} names a URL its urlconf does not have ({_raised(o) or 'NoReverseMatch'}); clients get "
                    f"a 500 ({case.name})")
    if "ResponseValidationError" in o.message or "fastapi.exceptions.ResponseValidationError" in o.details:
        # FastAPI checks what the handler returns against its response_model: the handler broke its own contract
        return _bug(o, case, endpoint, "response-model-mismatch",
                    f"{key} returns a body its declared response model refuses (FastAPI raised "
                    f"ResponseValidationError); clients get a 500 ({case.name})")
    status = _STATUS.search(f"{o.message}\n{o.details}")
    failing = _failing_line(o)
    # Edge-query values lie inside the parameters' declared bounds (the planner sends nothing the
    # app's own schema refuses; values outside them are invalid-query cases with an exact status),
    # so a 5xx to one is the app's bug, never the generator's.
    crashed = _BELOW_500.search(f"{o.message}\n{o.details}")
    if case.kind == "edge-query" and crashed and int(crashed.group(1)) >= 500:
        return _bug(o, case, endpoint, "server-error",
                    f"{key} answered {crashed.group(1)} to {_param_id(o)}, a value its declared parameters accept "
                    "(an undeclared edge case)")
    if status and "status_code" in failing:
        observed, expected = int(status.group(1)), int(status.group(2))
        return _status_mismatch(o, case, endpoint, observed, expected, suite)
    if failing.startswith(("assert row", "assert count_")):
        return _db_mismatch(o, case, endpoint, failing)
    if case.kind in _REFUSED_LOGINS and "not in session_of(response)" in failing:
        return _bug(o, case, endpoint, "accepts-wrong-credentials",
                    f"{key} refused the login but keeps the user in the session it sets ({case.name})")
    raised_in_test = _raised(o)
    if raised_in_test:  # not an assertion: the test itself broke (a factory, a fixture value)
        return Classified(outcome=o, category=GENERATOR, endpoint=key,
                          reason=f"the test raised {raised_in_test}" + (f" at `{failing}`" if failing else ""))
    return Classified(outcome=o, category=GENERATOR, endpoint=key,
                      reason=f"the response differs from what the generator expected: {failing or o.message}")


def _missing_key(o: Outcome) -> str | None:
    """The key of a `KeyError: 'email'` a test failed with."""
    found = re.search(r"KeyError: '([^']*)'", o.message)
    return found.group(1) if found else None


def _raised(o: Outcome) -> str:
    """The exception a test failed with, when it is not an assertion ("TypeError: __init__() missing
    1 required positional argument: 'author'"), cut to its first line."""
    first = o.message.strip().splitlines()[0] if o.message.strip() else ""
    qualified = first.partition(":")[0]
    if not re.fullmatch(r"(?:[a-z_]\w*\.)*[A-Z]\w*", qualified) or qualified.rsplit(".", 1)[-1] in (
            "AssertionError", "Failed"):
        return ""
    return first if len(first) <= 200 else first[:197] + "..."


def _judge_flow(o: Outcome, flow: Flow, suite: Suite, endpoints: dict[tuple[str, str], Endpoint]) -> Classified:
    """Which step failed (the last `# METHOD /path` comment before the failing line), and what that
    says: a crash in that step's handler, or a write by an earlier step that a later read does not see."""
    head = o.details.split("\n>", 1)[0]
    done = re.findall(r"^\s+# ((?:GET|POST|PUT|PATCH|DELETE) \S+)$", head, re.MULTILINE)
    index = len(done) - 1
    if o.status == "error":
        return _setup_error(o, suite, flow.name, "a fixture of the flow failed before it ran")
    if index < 0 or index >= len(flow.steps):
        return Classified(outcome=o, category=GENERATOR, endpoint=flow.name,
                          reason=f"the flow failed outside its steps: {o.message or 'see the report'}")
    step = flow.steps[index]
    e = endpoints.get((suite.app, step.endpoint))
    as_case = Case(name=flow.name, endpoint=step.endpoint, kind="flow", expect_status=step.expect_status,
                   request=step.request)
    raised = _app_exception(o)
    if raised is not None:
        file, line, exc = raised
        return _bug(o, as_case, e, "server-error",
                    f"{step.endpoint} raised {exc} at {file}:{line} in the flow {flow.name}; clients get a 500")
    failing = _failing_line(o)
    status = _STATUS.search(f"{o.message}\n{o.details}")
    if status and "status_code" in failing and int(status.group(1)) >= 500:
        return _bug(o, as_case, e, "server-error",
                    f"{step.endpoint} answered {status.group(1)} in the flow {flow.name}")
    writer = next((s for s in reversed(flow.steps[:index]) if s.request.method in ("POST", "PUT", "PATCH", "DELETE")),
                  None)
    if step.request.method == "GET" and writer is not None and failing.startswith("assert body["):
        w = endpoints.get((suite.app, writer.endpoint))
        wrote = replace(as_case, endpoint=writer.endpoint)
        return _bug(o, wrote, w, "write-not-persisted",
                    f"{writer.endpoint} answers {writer.expect_status} but {step.endpoint} does not see the change "
                    f"afterwards (`{failing}` in {flow.name}); a missing save or commit?")
    if failing.startswith("assert row") and writer is not None:
        w = endpoints.get((suite.app, writer.endpoint))
        return _bug(o, replace(as_case, endpoint=writer.endpoint), w, "write-not-persisted",
                    f"{writer.endpoint} did not change the database as it answered (`{failing}` in {flow.name})")
    return Classified(outcome=o, category=GENERATOR, endpoint=step.endpoint,
                      reason=f"step {step.endpoint} of {flow.name} did not go as the generator expected: "
                             f"{failing or o.message}")


def _param_id(o: Outcome) -> str:
    """The parametrized case of a test (`negative-skip` of `test_x[negative-skip]`)."""
    m = _PARAM_ID.search(o.nodeid)
    return m.group(1) if m else "a boundary value"


_REFUSED_LOGINS = ("login-wrong-password", "login-unknown-user")  # a login that must not log anyone in

# A request that should have been refused got a 2xx: the bug per kind of case, and what the app did.
_ACCEPTED = {
    "other-owner": ("missing-ownership-check",
                    "lets a user act on another user's resource: {observed} instead of {expected}"),
    "no-auth": ("missing-auth-check", "answers {observed} without valid credentials instead of {expected}"),
    "bad-token": ("missing-auth-check", "answers {observed} without valid credentials instead of {expected}"),
    "expired-token": ("accepts-expired-token", "answers {observed} to a token past its expiry instead of {expected}"),
    "forbidden-role": ("missing-permission-check",
                       "answers {observed} to a user without the required role instead of {expected}"),
}


def _status_mismatch(o: Outcome, case: Case, endpoint: Endpoint | None, observed: int,
                     expected: int, suite: Suite) -> Classified:
    key = case.endpoint
    ok = 200 <= observed < 300
    if observed >= 500 and case.kind == "conflict":
        return _bug(o, case, endpoint, "unhandled-unique-violation",
                    f"{key} answered {observed} to a duplicate instead of {expected} ({case.name})")
    if observed >= 500:
        return _bug(o, case, endpoint, "server-error",
                    f"{key} answered {observed} to a request that should get {expected} ({case.name})")
    if ok and case.kind in _ACCEPTED:
        code, what = _ACCEPTED[case.kind]
        return _bug(o, case, endpoint, code,
                    f"{key} {what.format(observed=observed, expected=expected)} ({case.name})")
    # a login refused with the form again (200) that redirects, or a refused JSON login that answers 2xx:
    # the app took its success path with wrong credentials
    if case.kind in _REFUSED_LOGINS and \
            (ok or (expected < 300 and 300 <= observed < 400)):
        return _bug(o, case, endpoint, "accepts-wrong-credentials",
                    f"{key} logs in with wrong credentials: {observed} instead of {expected} ({case.name})")
    web = web_adapter(suite.framework)
    if ok and case.kind in ("invalid-body", "invalid-query") and web is not None and not web.validates_input:
        return _bug(o, case, endpoint, "missing-validation",
                    f"{key} accepts invalid input with {observed} ({o.nodeid})")
    return Classified(outcome=o, category=GENERATOR, endpoint=key,
                      reason=f"expected {expected}, the app answered {observed}: the generator's assumption "
                             f"about {key} ({case.kind}) is wrong")


def _db_mismatch(o: Outcome, case: Case, endpoint: Endpoint | None, failing: str) -> Classified:
    key = case.endpoint
    if case.kind == "happy" and endpoint is not None and endpoint.method in ("POST", "PUT", "PATCH", "DELETE"):
        what = "deletion" if endpoint.method == "DELETE" else "write"
        return _bug(o, case, endpoint, "write-not-persisted",
                    f"{key} answers {case.expect_status} but its {what} is not in the database afterwards "
                    f"(`{failing}` failed in {case.name}); a missing save or commit?")
    if case.kind == "other-owner":
        return _bug(o, case, endpoint, "missing-ownership-check",
                    f"{key} changed another user's row although it answered {case.expect_status} ({case.name})")
    if case.kind in ("invalid-body", "no-auth", "bad-token", "expired-token", "forbidden-role", "conflict"):
        return _bug(o, case, endpoint, "write-despite-error",
                    f"{key} rejected the request but still changed the database (`{failing}`, {case.name})")
    return Classified(outcome=o, category=GENERATOR, endpoint=key,
                      reason=f"the database differs from what the generator expected: `{failing}`")


def _bug(o: Outcome, case: Case, endpoint: Endpoint | None, code: str, message: str) -> Classified:
    finding = Finding(code=f"app-bug-{code}", message=message, severity="error",
                      file=endpoint.file if endpoint else "", line=endpoint.line if endpoint else 0,
                      app=endpoint.app if endpoint else ".")
    return Classified(outcome=o, category=APP_BUG, reason=message, endpoint=case.endpoint, finding=finding)
