"""Flows across endpoints, inferred from what one endpoint produces and another consumes: the
sign-up endpoint makes credentials the login endpoint takes, whose token the protected endpoints
take; a create returns the id that the detail, update and delete endpoints of the same path take."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ...model import Endpoint
from .code_facts import raised_statuses
from .model import Flow, Request, Step
from .naming import snake
from .values import payload

if TYPE_CHECKING:
    from .plan import _Planner


def plan_flows(planner: _Planner) -> list[Flow]:
    flows = []
    auth = _auth_flow(planner)
    if auth is not None:
        flows.append(auth)
    flows += _crud_flows(planner)
    return flows


def _auth_flow(planner: _Planner) -> Flow | None:
    """Sign up, log in with the same credentials, call a protected endpoint with what the login gave: the
    token it answers, or (a session login) the session cookie it sets."""
    signup = planner._signup()
    login = planner.login_endpoint()
    if signup is None or login is None:
        return None
    form_fields = planner.web.login_form(login)
    if form_fields is None:
        return None
    shape = planner.web.login_shape(login, planner.code)
    me = _protected_read(planner, by_session=shape is not None)
    if me is None:
        return None
    creds, user_field = signup.creds, signup.user_field
    a = planner.auth
    sent = planner._login_request(login, form_fields, creds[user_field], creds[signup.password_field])
    # a form login keeps the local `form` unless the sign-up form took it
    login_var = "form" if sent.form is not None and not signup.as_form else "login"
    login_body = sent.form if sent.form is not None else sent.json
    signup_request = Request(method="POST", path=signup.endpoint.path, **(
        {"form": creds} if signup.as_form else {"json": creds}))
    me_schema = planner.schemas.get(me.response_schema or "")
    shows_email = user_field == "email" and me_schema is not None and any(f.name == "email" for f in me_schema.fields)
    if shape is not None:
        got = {"cookie_var": "cookie"}
        headers = '{"Cookie": cookie}'
    else:
        got = {"capture": (("token", "access_token"),)}
        headers = f'{{"{a.header}": f"{a.scheme} {{token}}"}}'
    steps = (
        Step(endpoint=signup.endpoint.key, request=signup_request, expect_status=signup.endpoint.status_code or 200,
             payload_var="credentials"),
        Step(endpoint=login.key, request=sent, expect_status=login.status_code or 200, payload_var=login_var, **got),
        Step(endpoint=me.key, request=Request(method="GET", path=me.path), expect_status=me.status_code or 200,
             expect=(("email", f'credentials["{user_field}"]'),) if shows_email else (), headers=headers),
    )
    payloads = [("credentials", creds), (login_var, login_body)]
    steps = tuple(replace(s, request=_with_required_query(s.request, planner, s.endpoint, payloads)) for s in steps)
    return Flow(name=f"test_flow_sign_up_log_in_and_call_{me.handler.rsplit('.', 1)[-1]}", kind="auth", steps=steps,
                payloads=tuple(payloads))


def _protected_read(planner: _Planner, *, by_session: bool) -> Endpoint | None:
    """The protected GET without parameters a flow calls last: one answering the user's email (`/me`),
    or, behind a session login, the first such endpoint at all (the session is what it checks)."""
    reads = [e for e in planner.endpoints() if e.method == "GET" and e.auth and not e.params]
    me = next((e for e in reads if planner.schemas.get(e.response_schema or "") is not None
               and any(f.name == "email" for f in planner.schemas[e.response_schema].fields)), None)
    return me or (reads[0] if reads and by_session else None)


def _crud_flows(planner: _Planner) -> list[Flow]:
    flows = []
    eps = planner.endpoints()
    for create in eps:
        if create.method != "POST" or create.request_schema not in planner.schemas:
            continue
        created = next((x.model for x in create.effects if x.action == "create"), None)
        response = planner.schemas.get(create.response_schema or "")
        if created is None or response is None or "id" not in {f.name for f in response.fields}:
            continue
        detail = {e.method: e for e in eps if _item_path(create.path, e)}
        if "GET" not in detail:
            continue
        if _needs_parents(planner, create, created):
            planner.notes.append(f"{create.key}: its payload names rows of other tables; no create-read-update-"
                                 "delete flow (a flow seeds nothing)")
            continue
        flows.append(_crud_flow(planner, create, detail, created))
    return flows


def _item_path(collection: str, e: Endpoint) -> bool:
    """`/items/{item_id}` under `/items/` with exactly one path parameter (`/items/{pk}/` too, as DRF's
    routers spell it)."""
    params = [p for p in e.params if p.location == "path"]
    base = collection.rstrip("/")
    return len(params) == 1 and e.path.rstrip("/") == f"{base}/{{{params[0].name}}}"


def _needs_parents(planner: _Planner, create: Endpoint, model: str) -> bool:
    """Whether the create's payload names rows of another table (`"project": 7`), which a flow would
    have to seed first."""
    body = payload(planner.schemas[create.request_schema], schemas=planner.schemas)
    parents, _refs = planner._payload_parents(body, planner.models.get(model), None)
    return bool(parents)


def _crud_flow(planner: _Planner, create: Endpoint, detail: dict[str, Endpoint], model: str) -> Flow:
    var = f"{snake(model)}_id"
    from .plan import USER_AUTH  # plan imports this module

    caller = "user" if any(a.kind in USER_AUTH for a in create.auth) and planner.auth.token_call else None
    created_payload = payload(planner.schemas[create.request_schema], schemas=planner.schemas)
    read = detail["GET"]
    response = planner.schemas.get(read.response_schema or "")
    fields = [f.name for f in response.fields] if response else []

    def at(e: Endpoint, **kw) -> Request:
        name = next(p.name for p in e.params if p.location == "path")
        return Request(method=e.method, path=e.path, path_values=((name, var),), auth=caller, **kw)

    def seen(body: dict, local: str) -> tuple[tuple[str, str], ...]:
        return tuple((k, f'{local}["{k}"]') for k in body if k in fields and "password" not in k)

    steps = [Step(endpoint=create.key, request=Request(method="POST", path=create.path, json=created_payload,
                                                       auth=caller),
                  expect_status=create.status_code or 200, capture=((var, "id"),)),
             Step(endpoint=read.key, request=at(read), expect_status=read.status_code or 200,
                  expect=seen(created_payload, "payload"))]
    payloads = [("payload", created_payload)]
    update = detail.get("PUT") or detail.get("PATCH")
    if update is not None and update.request_schema in planner.schemas:
        changes = payload(planner.schemas[update.request_schema], schemas=planner.schemas)
        fixed = {f.name for f in planner.schemas[update.request_schema].fields if f.enum}  # a choice stays valid
        changes = {k: v if k in fixed else _changed(k, v) for k, v in changes.items()}
        payloads.append(("changes", changes))
        steps += [Step(endpoint=update.key, request=at(update, json=changes), expect_status=update.status_code or 200,
                       payload_var="changes"),
                  Step(endpoint=read.key, request=at(read), expect_status=read.status_code or 200,
                       expect=seen(changes, "changes"))]
    delete = detail.get("DELETE")
    gone = None
    if delete is not None:
        missing = 404 if 404 in raised_statuses(planner.code.function(read.handler)) else None
        steps.append(Step(endpoint=delete.key, request=at(delete), expect_status=delete.status_code or 200))
        if missing:
            steps.append(Step(endpoint=read.key, request=at(read), expect_status=missing))
        gone = model
    planner.used_models.add(model)
    steps = [replace(s, request=_with_required_query(s.request, planner, s.endpoint, payloads)) for s in steps]
    return Flow(name=f"test_flow_{snake(model)}_create_read_update_delete", kind="crud", steps=tuple(steps),
                payloads=tuple(payloads), gone_model=gone, gone_pk=var)


def _with_required_query(request: Request, planner: _Planner, key: str, payloads: list[tuple[str, Any]]
                         ) -> Request:
    """The step's request with the required query parameters of its endpoint sent (without them the
    framework refuses it before the handler), kept in a local the flow sets up first (`params`), one
    per distinct query."""
    from .plan import _required_query  # plan imports this module

    endpoint = next((e for e in planner.endpoints() if e.key == key), None)
    required = _required_query(endpoint) if endpoint is not None else {}
    if not required:
        return request
    var = next((name for name, value in payloads if name.startswith("params") and value == required), None)
    if var is None:
        taken = sum(1 for name, _value in payloads if name.startswith("params"))
        var = f"params_{taken + 1}" if taken else "params"
        payloads.append((var, required))
    return replace(request, query_var=var)


def _changed(name: str, value: object) -> object:
    """A different valid value, so the read after the update shows whether the write landed."""
    if isinstance(value, str) and "email" not in name and len(value) < 40:
        return value + " (changed)"
    if isinstance(value, int) and not isinstance(value, bool):
        return value + 1
    return value
