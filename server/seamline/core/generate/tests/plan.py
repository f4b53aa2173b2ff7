"""From the project model to test cases: which tests each endpoint gets, and why. Framework-neutral;
what differs between frameworks is asked of the web adapter."""

from __future__ import annotations

import ast
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from ...analyze.expr import Expr, MaybeExpr, call_args, call_func, call_kwargs, const, dotted, is_call, render, walk
from ...model import App, Endpoint, OrmModel, Project, Schema, SchemaField
from .adapters import WebAdapter
from .code_facts import (
    CodeFacts,
    answers_literal_body,
    attribute_writes,
    calls_to,
    decorator_keyword,
    names_in,
    raised_statuses,
    success_body,
)
from .doubles import DoublePlanner
from .expiry import expired_token
from .flows import plan_flows
from .model import AuthPlan, Case, Check, ExpiredToken, Module, Request, Seed, Suite
from .naming import handler_name, short, snake
from .nodb import fixed_keys, known_path_values
from .render import literal
from .values import edge_query, invalid_payloads, invalid_query, kind_of, missing_value, payload, valid_value

log = logging.getLogger(__name__)

USER_AUTH = frozenset({"jwt", "oauth2", "bearer", "session", "basic", "api-key", "custom", "token", "drf-token"})
ADMIN_FLAGS = ("is_admin", "is_superuser", "is_staff", "admin", "superuser")
_GENERIC_STEMS = frozenset({"views", "routes", "router", "api", "endpoints", "main", "app", "handlers", "urls",
                            "__init__"})
_BUILTINS = frozenset({"str", "int", "dict", "float", "list", "tuple", "timedelta", "datetime"})


def test_file_name(source: str, taken: set[str]) -> str:
    """`app/api/routes/items.py` -> `test_items_api.py`; generic stems use their folder
    (`snippets/views.py` -> `test_snippets_api.py`)."""
    p = PurePosixPath(source)
    stem = p.stem if p.stem not in _GENERIC_STEMS else (p.parent.name or p.stem)
    name = f"test_{stem}_api.py"
    if name in taken:
        name = f"test_{p.parent.name}_{stem}_api.py"
    return name


class _Planner:
    def __init__(self, project: Project, app: App, web: WebAdapter, code: CodeFacts, *, orm: str = "") -> None:
        self.project = project
        # no database at all ("none"): a path value the handler accepts stands in for a seeded row; an app on
        # sqlite3 without models (the Flask tutorial) has rows, only not ones this planner can seed
        self.no_database = orm == "none"
        self.app = app
        self.web = web
        self.code = code
        self.schemas = {s.name: s for s in project.schemas}
        self.models = {m.name: m for m in project.models}
        self.notes: list[str] = []
        self.used_models: set[str] = set()
        self.auth = self._auth_plan()
        self.doubles = DoublePlanner(project, app, code, self.auth, self.notes)  # outside services

    # --- the app's users and credentials ---------------------------------------------------------
    def _auth_plan(self) -> AuthPlan:
        own = self.web.credentials(self.project, self.app, self.models, self.code)
        if own is not None:  # the framework's auth (DRF tokens, a Flask-Login session) makes credentials
            if own.expired is None:
                self.notes.append(own.expiry_note or f"no expired-token tests: the app's `{own.scheme or own.header}` "
                                  f"credentials ({own.token_function or own.token_call}) do not expire")
            if own.admin_flag or not own.user_model:
                return own
            return replace(own, admin_flag=self._admin_flag(own.user_model))
        user_model = self._user_model()
        views = {e.handler for e in self.endpoints()}  # a view is never a token function: it needs a request
        token_fn = next((t.name for t in self.project.token_sources
                         if t.kind == "function" and t.app == self.app.root and t.name not in views), None)
        token_call = self._token_call(token_fn) if token_fn else ""
        if not token_fn and user_model is None:
            self.auth = AuthPlan()  # what `_signup` reads while the plan is made
            via_login = self._login_credentials()
            if via_login is not None:
                return via_login
        if not token_fn and any(a.kind in USER_AUTH for e in self.endpoints() for a in e.auth):  # else moot
            self.notes.append("no token function found: tests of protected endpoints need an `auth_headers` "
                              "fixture of your own")
        flag = self._admin_flag(user_model) if user_model else None
        return AuthPlan(user_model=user_model, token_function=token_fn, token_call=token_call, admin_flag=flag,
                        expired=self._expired(token_fn, token_call) if token_fn and token_call else None)

    def _login_credentials(self) -> AuthPlan | None:
        """No user model to seed a caller with (sqlite3, no ORM) but a session login: tests sign up and log
        in through the app's own endpoints and send the session cookie the login sets."""
        login = self.login_endpoint()
        signup = self._signup()
        fields = self.web.login_form(login) if login is not None else None
        if signup is None or fields is None or self.web.login_shape(login, self.code) is None:
            return None
        creds = signup.creds
        sent = self._login_request(login, fields, creds[signup.user_field], creds[signup.password_field])
        local = {"form_var": "credentials"} if signup.as_form else {"json_var": "credentials"}
        register = Request(method="POST", path=signup.endpoint.path, **local)
        self.notes.append("no expired-token tests: the session cookie of a login through the app has no expiry "
                          "to set in the past")
        return AuthPlan(token_call=f"the session cookie of {login.key}", header="Cookie", scheme="",
                        login=(register, creds, sent))

    def login_endpoint(self) -> Endpoint | None:
        """The app's login endpoint (the one the analysis found making its credentials)."""
        return next((e for e in self.endpoints() for t in self.project.token_sources
                     if t.kind == "endpoint" and t.name == e.key and t.app == self.app.root), None)

    def _expired(self, token_fn: str, token_call: str) -> ExpiredToken | None:
        """How tests make an expired token with the app's own token function (a note when they can't)."""
        found = expired_token(self.code, token_fn, token_call)
        if isinstance(found, str):
            self.notes.append(found)
            return None
        return found

    def _admin_flag(self, user_model: str) -> str | None:
        names = {f.name for f in self.models[user_model].fields if kind_of(f.type) == "bool"}
        return next((n for n in ADMIN_FLAGS if n in names), None)

    def _user_model(self) -> str | None:
        app_models = [m for m in self.models.values() if self._in_app(m.file)]
        for e in self.endpoints():
            for a in e.auth:
                fn = self.code.function(a.via)
                if fn is not None and fn.returns is not None:
                    wanted = short(render(fn.returns))
                    hit = next((m.name for m in app_models if short(m.name) == wanted), None)
                    if hit:
                        return hit
        return next((m.name for m in app_models if short(m.name) in ("User", "Account", "CustomUser")), None)

    def _in_app(self, file: str) -> bool:
        return self.app.root == "." or file.startswith(self.app.root.rstrip("/") + "/") or not file

    def _token_call(self, token_fn: str) -> str:
        """How the app itself calls its token function, with the user renamed to `user`
        (`create_access_token(str(user.id))`); a guess from the parameters otherwise."""
        name = short(token_fn)
        for t in self.project.token_sources:
            if t.kind != "endpoint" or t.app != self.app.root:
                continue
            handler = next((e.handler for e in self.endpoints() if e.key == t.name), None)
            for call in calls_to(self.code.function(handler) if handler else None, name):
                free = [n for n in dict.fromkeys(names_in(("l", call_args(call)))) if n not in _BUILTINS]
                if len(free) == 1:
                    renamed = _rename(call, free[0], "user")
                    return f"{name}({', '.join(_args_text(renamed))})"
        fn = self.code.function(token_fn)
        first = fn.params[0][0] if fn is not None and fn.params else "subject"
        self.notes.append(f"{token_fn}: no call from a login endpoint found; assumed it takes the user id")
        if "data" in first or "claims" in first or "payload" in first:
            return f'{name}({{"sub": str(user.id)}})'
        return f"{name}(str(user.id))"

    # --- endpoints -------------------------------------------------------------------------------
    def endpoints(self) -> list[Endpoint]:
        return [e for e in self.project.endpoints if e.app == self.app.root]

    def owner_field(self, model: OrmModel) -> str | None:
        if not self.auth.user_model:
            return None
        return next((f.name for f in model.fields if f.type == f"fk:{self.auth.user_model}"), None)

    def resource(self, e: Endpoint) -> OrmModel | None:
        """The model a path parameter points at: the one the endpoint reads/updates/deletes, preferring
        the model named like the parameter (`item_id` -> Item)."""
        path_params = [p.name for p in e.params if p.location == "path"]
        candidates = [self.models[x.model] for x in e.effects
                      if x.model in self.models and x.action in ("read", "update", "delete")]
        if not path_params or not candidates:
            return None
        stem = _stem(path_params[-1])
        named = next((m for m in candidates if snake(m.name) == stem), None)
        if named is None and len(path_params) > 1:
            # `/articles/{slug}/comments/{cid}`: the path's resource is the parent row the first parameter
            # names; the rows under it (the comment) are seeded as its children
            named = next((m for m in candidates if any(f.type == f"fk:{m.name}" for c in candidates
                                                       for f in c.fields)), None)
        return named or candidates[0]

    def _path_rows(self, ctx: _EndpointCtx, seed: Seed | None, owner: str | None
                   ) -> tuple[tuple[tuple[str, str], ...], list[Seed]]:
        """What each path parameter is sent when the resource's row `seed` is seeded, and the rows to seed
        under it: a parameter after the resource's (`{cid}` of `/articles/{slug}/comments/{cid}`) names a
        child row, seeded with its foreign key to the row before it; one before it (`{user_id}` of
        `/users/{user_id}/items/{item_id}`) is the resource's own foreign key column."""
        e, model = ctx.e, ctx.resource
        params = [p for p in e.params if p.location == "path"]
        single = self._path_values(e, seed.var if seed else None, model)
        if seed is None or model is None or len(params) < 2:
            return single, []
        at = next((i for i, p in enumerate(params) if p.name in _columns(model)
                   or _stem(p.name) == snake(model.name)), None)
        if at is None:
            at = 0 if self._child_of(e, model, None) is not None else len(params) - 1
        values = dict(single)
        children: list[Seed] = []
        parent, parent_var = model, seed.var
        for p in params[at + 1:]:
            child = self._child_of(e, parent, p.name)
            if child is None:  # no model found for it: the row's id would be a guess
                self.notes.append(f"{e.key}: no model found for the path parameter `{p.name}`; happy path not "
                                  "generated")
                return (), []
            child_seed = self._child_seed(child, parent, parent_var, owner)
            children.append(child_seed)
            values[p.name] = f"{child_seed.var}.{p.name}" if p.name in _columns(child) else f"{child_seed.var}_id"
            parent, parent_var = child, child_seed.var
        fks = {f.name: f.type[3:] for f in model.fields if f.type.startswith("fk:")}
        for p in params[:at]:
            fk = next((n for n, target in fks.items() if snake(target) == _stem(p.name)), None)
            if fk is not None and p.name not in _columns(self.models.get(fks[fk])):
                values[p.name] = f"{seed.var}.{fk}"
        return tuple((p.name, values[p.name]) for p in params), children

    def _child_of(self, e: Endpoint, parent: OrmModel, param: str | None) -> OrmModel | None:
        """A model of the endpoint's effects with a foreign key to `parent`: the one it deletes first, then
        the one named like `param`."""
        kids = [self.models[x.model] for x in sorted(e.effects, key=lambda x: x.action != "delete")
                if x.model in self.models and x.model != parent.name
                and any(f.type == f"fk:{parent.name}" for f in self.models[x.model].fields)]
        stem = _stem(param or "")
        return next((m for m in kids if snake(m.name) == stem), kids[0] if kids else None)

    def _child_seed(self, child: OrmModel, parent: OrmModel, parent_var: str, owner: str | None) -> Seed:
        """A row of `child` that belongs to the seeded `parent_var` through its foreign key."""
        fk = next(f.name for f in child.fields if f.type == f"fk:{parent.name}")
        self.used_models.add(child.name)
        owner_field = self.owner_field(child) if owner else None
        return Seed(var=snake(child.name), model=child.name, owner_field=owner_field,
                    owner=owner if owner_field else None, overrides=((fk, f"{parent_var}.id"),))

    def plan(self, e: Endpoint) -> list[Case]:
        fn = self.code.function(e.handler)
        handler = handler_name(e.handler)
        ctx = _EndpointCtx(
            e=e, name=handler,
            raises=tuple(dict.fromkeys(raised_statuses(fn) + self.web.implicit_statuses(e, self.code))),
            needs_user=any(a.kind in USER_AUTH for a in e.auth) and bool(self.auth.token_call),
            role=next((a for a in e.auth if a.kind == "permission" and self.web.role_check(a)), None),
            body=self._request_body(e, fn),
            response=self.schemas.get(e.response_schema or ""),
            many=self.web.response_many(e, self.code),
            resource=self.resource(e),
        )
        if any(a.kind in USER_AUTH for a in e.auth) and not self.auth.token_call:
            self.notes.append(f"{e.key}: protected, but no way to make a token was found; tests skipped")
            return []
        login = self._login_cases(ctx)
        if login is not None:
            return login
        cases = self._happy(ctx)
        cases += self._auth_cases(ctx)
        cases += self._not_found(ctx)
        cases += self._invalid(ctx)
        cases += self._conflict(ctx)
        if ctx.body is not None and ctx.body.kind == "form":
            formed = (_as_form(c) for c in cases if c.kind != "conflict")  # a conflict's seeds read `payload`
            cases = [c for c in formed if c.params or c.kind != "invalid-body"]
        cases = [_with_query(c, _required_query(e)) for c in cases]
        return self.doubles.cases(e, cases)

    # --- case builders ---------------------------------------------------------------------------
    def _caller(self, ctx: _EndpointCtx) -> str | None:
        if ctx.role is not None and self.auth.admin_flag:
            return "admin"
        return "user" if ctx.needs_user else None

    def _path_values(self, e: Endpoint, seed_var: str | None, model: OrmModel | None = None,
                     known: dict[str, Any] | None = None) -> tuple[tuple[str, str], ...]:
        """What each path parameter is sent: for a seeded row, the column the parameter is named after
        (`{slug}`, `{username}` of the row), else its id; with no row, a value that points at nothing."""
        columns = _columns(model)
        out = []
        for p in e.params:
            if p.location != "path":
                continue
            if known is not None:  # no database: the value the handler accepts (nodb.known_path_values)
                out.append((p.name, literal(known.get(p.name, valid_value(p.name, p.type, p.constraints)))))
            elif not seed_var:
                out.append((p.name, missing_value(p.type)))
            else:
                out.append((p.name, f"{seed_var}.{p.name}" if p.name in columns else f"{seed_var}_id"))
        return tuple(out)

    def _seed(self, ctx: _EndpointCtx, var: str, owner: str | None) -> Seed | None:
        model = ctx.resource
        if model is None:
            return None
        self.used_models.add(model.name)
        owner_field = self.owner_field(model) if owner else None
        return Seed(var=var, model=model.name, owner_field=owner_field, owner=owner if owner_field else None)

    def _happy(self, ctx: _EndpointCtx) -> list[Case]:
        e = ctx.e
        method = e.method
        has_path = any(p.location == "path" for p in e.params)
        caller = self._caller(ctx)
        # the status the route declares (the scan knows DRF's destroy 204, a Flask view's `return "", 204`),
        # else the frameworks' own default, 200, a DELETE with no body included
        expect = e.status_code or 200
        if method not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            return []
        known = known_path_values(self.code, e) if has_path and ctx.resource is None and self.no_database else None
        if has_path and ctx.resource is None and known is None:
            self.notes.append(f"{e.key}: no model found for the path parameter; happy path not generated")
            return []
        seeds: list[Seed] = []
        checks: list[Check] = []
        body = payload(ctx.body, schemas=self.schemas) if ctx.body else None
        model = ctx.resource
        owner = "user" if caller == "user" else ("admin" if caller == "admin" else None)
        has_path = has_path and known is None  # from here: a row stands behind the path
        children: list[Seed] = []
        path_values = self._path_values(e, None, model, known=known)
        if has_path:
            seed = self._seed(ctx, snake(model.name), owner)
            seeds.append(seed)
            path_values, children = self._path_rows(ctx, seed, owner)
            if not path_values:
                return []
        created = next((self.models[x.model] for x in e.effects if x.action == "create" and x.model in self.models),
                       None)
        parents, refs = self._payload_parents(body, created or model, owner)
        seeds = seeds + parents + children  # the resource stays first: the path and the checks name it
        # what the answer shows: not the write-only fields (a password, marshmallow's load_only)
        resp_fields = {f.name for f in ctx.response.fields if not f.write_only} if ctx.response else set()
        if method == "GET" and has_path:
            name = f"test_{ctx.name}_returns_{snake(model.name)}" + ("_of_current_user" if seeds[0].owner else "")
            checks += [Check(kind="field", name=f, source=f"{seeds[0].var}.{f}")
                       for f in self._comparable(resp_fields, model)]
        elif method == "GET":
            listed = next((self.models[x.model] for x in e.effects if x.action == "read" and x.model in self.models),
                          None)
            wrapped = _wrapped_lists(self.code.function(e.handler))
            if wrapped:  # `jsonify({"tags": [t.name for t in tags]})`: a dict holding a list, not rows
                ctx = replace(ctx, many=False)
                name = f"test_{ctx.name}_returns_{'_and_'.join(wrapped)}_list"
                checks += [Check(kind="keys", source="body", value=wrapped),
                           *(Check(kind="list", name=k) for k in wrapped)]
            elif ctx.many and listed is not None and "id" in resp_fields:
                ctx = replace(ctx, resource=listed)
                seed = self._seed(ctx, snake(listed.name), owner)
                seeds.append(seed)
                name = f"test_{ctx.name}_includes_{snake(listed.name)}" + ("_of_current_user" if seed.owner else "")
                checks.append(Check(kind="contains", name="id", source=f"{seed.var}.id",
                                    within=self.web.list_key(e, self.code, self.app)))
            elif not ctx.many and caller and self.auth.user_model and resp_fields and \
                    resp_fields <= {f.name for f in self.models[self.auth.user_model].fields} | {"id"}:
                name = f"test_{ctx.name}_returns_current_user"
                checks += [Check(kind="field", name=f, source=f"{caller}.{f}")
                           for f in self._comparable(resp_fields, self.models[self.auth.user_model])]
            else:
                name = f"test_{ctx.name}_returns_{expect}"
        elif method == "POST":
            name = f"test_{ctx.name}_returns_{expect}"
            if created is not None:
                self.used_models.add(created.name)
                owner_field = self.owner_field(created) if caller else None
                name = f"test_{ctx.name}_persists_{snake(created.name)}" + ("_for_owner" if owner_field else "")
                checks += self._payload_checks(body, resp_fields)
                checks += self._row_checks(created, body, pk='body["id"]' if "id" in resp_fields else None,
                                           owner_field=owner_field, owner=caller)
                checks.append(Check(kind="count", model=created.name, value=1))
            elif body is not None:
                checks += self._payload_checks(body, resp_fields)
            returned = self._returned_row_checks(ctx, model, f"{seeds[0].var}_id") if has_path and not created else []
            if returned:
                writes = attribute_writes(self.code.function(e.handler))
                name = f"test_{ctx.name}_" + ("saves_its_changes" if writes else f"matches_{snake(model.name)}_row")
                checks += [Check(kind="row-exists", model=model.name, source=f"{seeds[0].var}_id"), *returned]
        elif method in ("PUT", "PATCH"):
            checks += self._payload_checks(body, resp_fields)
            target, pk = (model, f"{seeds[0].var}_id") if has_path else self._updated_caller(e, caller)
            name = f"test_{ctx.name}_persists_changes" if target is not None else f"test_{ctx.name}_returns_{expect}"
            if target is not None:
                checks += self._row_checks(target, body, pk=pk)
                checks += self._returned_row_checks(ctx, target, pk, skip=set(body or ()))
        else:  # DELETE
            name, extra, gone = self._deletion(ctx, seeds[0] if has_path else None, children, owner, expect)
            seeds += extra
            checks += gone
        if method == "POST" and expect in (301, 302, 303, 307, 308):
            checks += self._redirect_checks(e)
        request = Request(method=method, path=e.path, json=body, auth=caller, json_refs=refs,
                          path_values=path_values)
        if expect != 204:
            checks += self._body_checks(ctx, request, caller, checks)
        return [Case(name=name, endpoint=e.key, kind="happy", expect_status=expect, request=request,
                     seeds=tuple(s for s in seeds if s is not None), checks=tuple(checks))]

    def _deletion(self, ctx: _EndpointCtx, seed: Seed | None, children: list[Seed], owner: str | None,
                  expect: int) -> tuple[str, list[Seed], list[Check]]:
        """What a DELETE removes, read off its data effects: the path's row itself, or a row under it (a
        comment of the article, seeded as the article's child: gone afterwards, the article still there).
        A DELETE that deletes no row (`DELETE /articles/{slug}/favorite` updates the article) gets no row
        check. Returns the test's name, rows to seed besides the path's, and the checks."""
        e, model = ctx.e, ctx.resource
        deleted = next((self.models[x.model] for x in e.effects if x.action == "delete" and x.model in self.models),
                       None)
        if seed is None or model is None:
            return f"test_{ctx.name}_removes_resource", [], []
        if deleted is None:
            return f"test_{ctx.name}_returns_{expect}", [], []
        if deleted.name == model.name:
            return f"test_{ctx.name}_removes_{snake(model.name)}", [], [
                Check(kind="row-gone", model=model.name, source=f"{seed.var}_id")]
        child = next((c for c in children if c.model == deleted.name), None)
        extra = []
        if child is None:
            if not any(f.type == f"fk:{model.name}" for f in deleted.fields):
                return f"test_{ctx.name}_returns_{expect}", [], []  # no row the test can tie to the path's
            child = self._child_seed(deleted, model, seed.var, owner)
            extra = [child]
        return f"test_{ctx.name}_removes_{snake(deleted.name)}", extra, [
            Check(kind="row-gone", model=deleted.name, source=f"{child.var}_id"),
            Check(kind="row-exists", model=model.name, source=f"{seed.var}_id")]

    def _redirect_checks(self, e: Endpoint) -> list[Check]:
        """A form post answered by a redirect: where it redirects when it succeeds (`redirect(url_for(
        "blog.index"))` -> "/"), which a refused one (to the login page) does not."""
        fn = self.code.function(e.handler)
        targets = {t for t in (self._redirect_target(v) for v in (fn.returns_values if fn else ())) if t}
        return [Check(kind="redirect", value=targets.pop())] if len(targets) == 1 else []

    def _redirect_target(self, value: MaybeExpr) -> str | None:
        """The path of `redirect("/")` or `redirect(url_for("blog.index"))` (an endpoint without parameters)."""
        if not is_call(value) or (dotted(call_func(value)) or "").rsplit(".", 1)[-1] != "redirect" \
                or not call_args(value):
            return None
        target = call_args(value)[0]
        if isinstance(const(target), str):
            return const(target)
        if not is_call(target) or (dotted(call_func(target)) or "").rsplit(".", 1)[-1] != "url_for" \
                or not call_args(target) or call_args(target)[1:] or call_kwargs(target) \
                or not isinstance(const(call_args(target)[0]), str):
            return None
        group, _, view = const(call_args(target)[0]).rpartition(".")
        found = [x for x in self.endpoints() if x.method == "GET" and x.handler.rsplit(".", 1)[-1] == view
                 and not any(p.location == "path" for p in x.params)]
        if len(found) > 1 and group:
            found = [x for x in found if x.handler.rsplit(".", 2)[-2] == group]
        return found[0].path if len({x.path for x in found}) == 1 else None

    def _request_body(self, e: Endpoint, fn: Any) -> Schema | None:
        """The schema of the body the endpoint is sent. A schema guessed from the models a view writes
        (Flask's `inferred`) only when the view reads a body at all: a view that loads its row by the
        path and changes it (`POST /articles/{slug}/favorite`) is sent none."""
        schema = self.schemas.get(e.request_schema or "")
        if schema is None or schema.kind != "inferred" or fn is None or _reads_body(fn) or \
                any(p.location in ("body", "form") for p in e.params):
            return schema
        return schema if self._helper_reads_body(e, fn) else None

    def _helper_reads_body(self, e: Endpoint, fn: Any) -> bool:
        """Whether a function of the app the handler calls reads the body (`data = json_body()`)."""
        found = self.code.locate(e.handler)
        imports = dict(found[0].imports) if found else {}
        local = found[0].module if found else e.handler.rsplit(".", 1)[0]
        for call in fn.calls:
            callee = dotted(call_func(call)) or ""
            helper = self.code.function(imports.get(callee, f"{local}.{callee}")) if callee else None
            if helper is not None and _reads_body(helper):
                return True
        return False

    def _updated_caller(self, e: Endpoint, caller: str | None) -> tuple[OrmModel | None, str]:
        """An update with no path parameter (`PUT /api/user`): the row it changes is the caller's own
        when it updates the user model; else no row the test knows (only the answer is checked)."""
        user = self.auth.user_model
        if caller in ("user", "admin") and user in self.models and \
                any(x.action == "update" and x.model == user for x in e.effects):
            return self.models[user], f"{caller}.id"
        return None, ""

    def _body_checks(self, ctx: _EndpointCtx, request: Request, caller: str | None, checks: list[Check]
                     ) -> list[Check]:
        """What a success body must hold beyond the payload and the seeded rows: every field the response
        schema declares; the constants the handler answers with (`{"status": "ok"}`, a schema default
        its constructor call leaves alone, `token_type="bearer"`); the caller's own column
        (`sent_to=current_user.email`); a path parameter the body echoes by name. Anything computed or
        answered by a test double is only required to be there, never to have a value."""
        fn = self.code.function(ctx.e.handler)
        within = next((c.within for c in checks if c.kind == "contains"), None)
        if ctx.many and within is None:
            return []  # no row seeded: the list may be empty
        schema_class = ctx.response.name.rsplit(".", 1)[-1] if ctx.response else None
        found = success_body(fn, schema_class)
        keys, built = found if found is not None else ({}, False)
        shown = self._declared_fields(ctx, fn, built=built)
        out: list[Check] = []
        if shown:
            obj = (f'body["{within}"][0]' if within else "body[0]") if ctx.many else "body"
            out.append(Check(kind="keys", source=obj, value=tuple(sorted(shown))))
        if ctx.many:
            return out
        values = {k: v for k, v in ((k, self._known_value(x, caller)) for k, x in keys.items()) if v}
        for f in ctx.response.fields if built and ctx.response else ():
            if f.name not in keys and f.default is not None:
                values.setdefault(f.name, _literal_source(f.default))
        for name, value in request.path_values:
            if name in shown or name in keys:
                values.setdefault(name, value)
        done = {c.name for c in checks if c.kind == "field"}
        out += [Check(kind="field", name=k, source=v) for k, v in values.items() if v and k not in done]
        return out + self._timestamp_checks(ctx, checks)

    def _timestamp_checks(self, ctx: _EndpointCtx, checks: list[Check]) -> list[Check]:
        """A datetime the app's serializer answers as `isoformat()` text (`created_at`): it parses back,
        and, when the test reads the row anyway, it is the row's value formatted the same way (never a
        value the test guesses: the app or the database set it)."""
        stamped = [f.name for f in ctx.response.fields if ("format", "isoformat") in f.constraints] \
            if ctx.response else []
        row = next((c.source for c in checks if c.kind in ("row", "row-exists")
                    and ctx.response is not None and c.model == ctx.response.model), None)
        out = [Check(kind="iso-datetime", name=f) for f in stamped]
        if row is not None:
            out += [Check(kind="row", model=ctx.response.model, source=row, name=f"{f}.isoformat()",
                          value_from=f'body["{f}"]') for f in stamped]
        return out

    def _declared_fields(self, ctx: _EndpointCtx, fn: Any, *, built: bool) -> set[str]:
        """Fields the response schema always serializes (pydantic/SQLModel with no `response_model_exclude*`
        on the route, DRF serializers): the body is that schema unless the handler answers literals
        (`built`: the literal it answers is a call of the schema itself)."""
        r = ctx.response
        if r is None or r.kind not in ("pydantic", "sqlmodel", "drf-serializer") or \
                (answers_literal_body(fn) and not built):
            return set()
        if any(decorator_keyword(fn, k) is not None for k in _RESHAPING):
            return set()
        return {f.name for f in r.fields if not f.write_only and not any(k == "alias" for k, _ in f.constraints)}

    def _known_value(self, expr: Expr, caller: str | None) -> str | None:
        """Test-side code for a value the handler answers with, when the test knows it: a constant, or
        a comparable column of the calling user (`current_user.email`)."""
        value = const(expr)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return literal(value)
        name = dotted(expr) or ""
        owner, _, attr = name.rpartition(".")
        user = self.models.get(self.auth.user_model or "")
        if caller and user and owner in ("current_user", "request.user", "g.user") and \
                self._comparable({attr}, user):
            return f"{caller}.{attr}"
        return None

    def _payload_parents(self, body: dict | None, model: OrmModel | None, owner: str | None
                         ) -> tuple[list[Seed], tuple[tuple[str, str], ...]]:
        """Payload fields that name another row (`"project": 7` for a foreign key): seed that row first,
        owned by the caller when it has an owner, and send its id."""
        if not body or model is None:
            return [], ()
        fks = {f.name: f.type[3:] for f in model.fields if f.type.startswith("fk:")}
        seeds: list[Seed] = []
        refs: list[tuple[str, str]] = []
        for key in body:
            target = fks.get(key) or fks.get(f"{key}_id")
            if target is None or target == self.auth.user_model or target not in self.models:
                continue
            parent = self.models[target]
            self.used_models.add(target)
            owner_field = self.owner_field(parent) if owner else None
            seeds.append(Seed(var=snake(target), model=target, owner_field=owner_field,
                              owner=owner if owner_field else None))
            refs.append((key, f"{snake(target)}.id"))
        return seeds, tuple(refs)

    def _comparable(self, resp_fields: set[str], model: OrmModel) -> list[str]:
        """Columns a response echoes that compare equal to the row's attribute as JSON (not dates,
        decimals or UUIDs, which a response carries as strings)."""
        cols = {f.name for f in model.fields if not f.read_only and not f.write_only and not f.nested
                and kind_of(f.type, f.name) not in ("datetime", "date", "uuid", "float")}
        return [f for f in sorted(resp_fields & cols) if "password" not in f]

    def _payload_checks(self, body: dict | None, resp_fields: set[str]) -> list[Check]:
        if not body:
            return []
        return [Check(kind="field", name=k, source=f'payload["{k}"]') for k in body
                if k in resp_fields and "password" not in k]

    def _row_checks(self, model: OrmModel, body: dict | None, *, pk: str | None, owner_field: str | None = None,
                    owner: str | None = None) -> list[Check]:
        if pk is None:
            return []
        kinds = {f.name: kind_of(f.type, f.name) for f in model.fields}
        checks = [Check(kind="row-exists", model=model.name, source=pk)]
        for k in body or {}:
            if k not in kinds or "password" in k or kinds[k] in ("uuid", "float"):
                continue  # a UUID or decimal column never equals its JSON text
            # a date column holds a date; the payload sent its ISO text
            attr = f"{k}.isoformat()" if kinds[k] in ("date", "datetime") else k
            checks.append(Check(kind="row", model=model.name, source=pk, name=attr, value_from=f'payload["{k}"]'))
        if owner_field and owner:
            checks.append(Check(kind="row", model=model.name, source=pk, name=owner_field, value_from=f"{owner}.id"))
        return checks

    def _returned_row_checks(self, ctx: _EndpointCtx, model: OrmModel, pk: str, *, skip: set[str] = frozenset()
                             ) -> list[Check]:
        """A write that answers with the resource: each column the response returns must be what the row
        holds afterwards. A handler that changes an instance and forgets `save()`/`commit()` still
        answers with the change; only the database tells. (Computed read-only fields of unknown type,
        such as `ReadOnlyField(source="owner.username")`, are left out: they are not columns.)"""
        response = ctx.response
        if response is None or ctx.many or answers_literal_body(self.code.function(ctx.e.handler)):
            return []
        columns = {f.name for f in model.fields}
        shown = {f.name for f in response.fields if not (f.read_only and f.type == "Any")}
        if response.model != model.name and not ("id" in shown and shown <= columns):
            return []  # not a representation of this model's row
        return [Check(kind="row", model=model.name, source=pk, name=f, value_from=f'body["{f}"]')
                for f in self._comparable(shown, model) if f not in skip]

    def _auth_cases(self, ctx: _EndpointCtx) -> list[Case]:
        e = ctx.e
        if not ctx.needs_user:
            return []
        body = payload(ctx.body, schemas=self.schemas) if ctx.body else None
        path_values = self._path_values(e, None)
        created = next((x.model for x in e.effects if x.action == "create" and x.model in self.models), None)
        after = (Check(kind="count", model=created, value=0),) if created else ()
        no_token = self.web.missing_credentials_status(e, self.code)
        bad = next((s for a in e.auth if a.kind in USER_AUTH
                    for s in raised_statuses(self.code.function(a.via))
                    if s == 401 or (fixed_keys(e) and a.kind == "api-key" and 400 <= s < 500)), no_token)
        invalid = self.auth.invalid_status or bad  # the framework's own answer to a malformed token (Flask-JWT: 422)
        cases = [
            Case(name=f"test_{ctx.name}_without_token_returns_{no_token}", endpoint=e.key, kind="no-auth",
                 expect_status=no_token, checks=after,
                 request=Request(method=e.method, path=e.path, path_values=path_values, json=body)),
            Case(name=f"test_{ctx.name}_with_invalid_token_returns_{invalid}", endpoint=e.key, kind="bad-token",
                 expect_status=invalid, checks=after,
                 request=Request(method=e.method, path=e.path, path_values=path_values, json=body, auth="invalid")),
        ]
        if self.auth.expired is not None:  # signed by the app, but past its `exp`
            cases.append(Case(name=f"test_{ctx.name}_with_expired_token_returns_{bad}", endpoint=e.key,
                              kind="expired-token", expect_status=bad, checks=after,
                              request=Request(method=e.method, path=e.path, path_values=path_values, json=body,
                                              auth="expired")))
        if ctx.role is not None and self.auth.admin_flag:
            denied = next((s for s in raised_statuses(self.code.function(ctx.role.via)) if s in (401, 403)), 403)
            cases.append(Case(name=f"test_{ctx.name}_for_non_admin_returns_{denied}", endpoint=e.key,
                              kind="forbidden-role", expect_status=denied, checks=after,
                              request=Request(method=e.method, path=e.path, path_values=path_values, json=body,
                                              auth="user")))
        model = ctx.resource
        if model is not None and self.owner_field(model):
            status = 403 if 403 in ctx.raises else 404 if 404 in ctx.raises else None
            if status is None:
                self.notes.append(f"{e.key}: {short(model.name)} has an owner but the handler raises neither "
                                  "403 nor 404; no ownership test")
            else:
                seed = Seed(var=f"other_{snake(model.name)}", model=model.name, owner_field=self.owner_field(model),
                            owner="other_user")
                self.used_models.add(model.name)
                checks: tuple[Check, ...] = ()
                if e.method in ("PUT", "PATCH", "DELETE"):
                    checks = (Check(kind="row-exists", model=model.name, source=f"{seed.var}_id"),)
                    if e.method != "DELETE" and body:
                        checks += tuple(Check(kind="row", model=model.name, source=f"{seed.var}_id", name=k,
                                              value_from=f"before[{k!r}]")
                                        for k in body if k in {f.name for f in model.fields})
                # the payload's own references are the caller's (a valid write), only the target is not
                parents, refs = self._payload_parents(body, model, self._caller(ctx))
                cases.append(Case(
                    name=f"test_{ctx.name}_of_other_user_returns_{status}", endpoint=e.key, kind="other-owner",
                    expect_status=status, seeds=(seed, *parents), checks=checks,
                    request=Request(method=e.method, path=e.path, path_values=self._path_values(e, seed.var, model),
                                    json=body, auth=self._caller(ctx), json_refs=refs)))
        return cases

    def _not_found(self, ctx: _EndpointCtx) -> list[Case]:
        e = ctx.e
        if not any(p.location == "path" for p in e.params) or 404 not in ctx.raises:
            return []
        body = payload(ctx.body, schemas=self.schemas) if ctx.body else None
        return [Case(name=f"test_{ctx.name}_missing_returns_404", endpoint=e.key, kind="not-found", expect_status=404,
                     request=Request(method=e.method, path=e.path, path_values=self._path_values(e, None), json=body,
                                     auth=self._caller(ctx)))]

    def _invalid(self, ctx: _EndpointCtx) -> list[Case]:
        e = ctx.e
        cases: list[Case] = []
        caller = self._caller(ctx)
        status = self.web.validation_status
        if ctx.body is not None and ctx.body.kind == "marshmallow":
            status = 422  # webargs (under flask-smorest and flask-apispec) answers what marshmallow refuses with 422
        if ctx.body is not None:
            valid = payload(ctx.body, schemas=self.schemas)
            variants = invalid_payloads(ctx.body, valid)
            if e.method == "PATCH":  # a partial update may leave any field out
                variants = [(vid, body) for vid, body in variants if not vid.startswith("missing-")]
            if not self.web.validates_input:  # hand-written checks: presence, type and length, seldom formats
                variants = [(vid, body) for vid, body in variants if not vid.endswith("-malformed")]
            created = next((x.model for x in e.effects if x.action == "create" and x.model in self.models), None)
            # a real row behind the path: frameworks that load the object before validating (DRF)
            # would answer 404 for a missing one and never look at the payload
            has_path = any(p.location == "path" for p in e.params)
            owner = caller if caller in ("user", "admin") else None
            seed = self._seed(ctx, snake(ctx.resource.name), owner) if has_path and ctx.resource else None
            if has_path and seed is None and not self.web.validates_input:
                variants = []  # checks in the view run after it loads the row, and no row can be seeded: a 404
            if variants:
                cases.append(Case(
                    name=f"test_{ctx.name}_rejects_invalid_payload", endpoint=e.key, kind="invalid-body",
                    expect_status=status, params=tuple(variants), param_name="payload",
                    seeds=(seed,) if seed else (),
                    checks=(Check(kind="count", model=created, value=0),) if created else (),
                    request=Request(method=e.method, path=e.path,
                                    path_values=self._path_values(e, seed.var if seed else None, ctx.resource),
                                    json_var="payload", auth=caller)))
        # a framework that does not validate queries (Flask's `args.get(type=int)` falls back to the
        # default) has no status for a wrong one; edge values must still never be a server error
        queries = invalid_query(e.params) if self.web.validates_input else []
        edges = edge_query(e.params)
        if edges and (not ctx.needs_user or caller):
            cases.append(Case(
                name=f"test_{ctx.name}_survives_edge_query_values", endpoint=e.key, kind="edge-query",
                expect_status=0, params=tuple(edges), param_name="params",
                doc="Boundary values (0, -1, empty text) may be refused, but never with a server error.",
                request=Request(method=e.method, path=e.path, path_values=self._path_values(e, None),
                                json=payload(ctx.body, schemas=self.schemas) if ctx.body else None,
                                query_var="params", auth=caller)))
        if queries:
            cases.append(Case(
                name=f"test_{ctx.name}_rejects_invalid_query", endpoint=e.key, kind="invalid-query",
                expect_status=status, params=tuple(queries), param_name="params",
                request=Request(method=e.method, path=e.path, path_values=self._path_values(e, None),
                                json=payload(ctx.body, schemas=self.schemas) if ctx.body else None,
                                query_var="params", auth=caller)))
        typed = [p for p in e.params if p.location == "path" and kind_of(p.type) in ("int", "uuid")]
        if typed:
            values = tuple((p.name, '"not-a-number"' if kind_of(p.type) == "int" else '"not-a-uuid"')
                           if p in typed else (p.name, missing_value(p.type))
                           for p in e.params if p.location == "path")
            what = "non_integer" if kind_of(typed[0].type) == "int" else "malformed"
            cases.append(Case(
                name=f"test_{ctx.name}_with_{what}_{typed[0].name}_returns_{self.web.bad_path_status}",
                endpoint=e.key, kind="invalid-path", expect_status=self.web.bad_path_status,
                request=Request(method=e.method, path=e.path, path_values=values,
                                json=payload(ctx.body, schemas=self.schemas) if ctx.body else None, auth=caller)))
        return cases

    def _conflict(self, ctx: _EndpointCtx) -> list[Case]:
        """A create whose payload repeats a unique column, or a unique set (`unique_together`, a
        UniqueConstraint), of an existing row, when the handler answers bad input itself: 409, or 400
        raised by it or by its framework's validation (DRF's serializers). The existing row takes the
        payload's values and, for an owner column in the set, the caller. An app that lets the database
        refuse the insert answers 500: the test reports it."""
        e = ctx.e
        status = 409 if 409 in ctx.raises else 400 if 400 in ctx.raises else None
        created = next((self.models[x.model] for x in e.effects if x.action == "create" and x.model in self.models),
                       None)
        if status is None or created is None or ctx.body is None:
            return []
        body = payload(ctx.body, schemas=self.schemas)
        caller = self._caller(ctx)
        parents, refs = self._payload_parents(body, created, caller)
        taken = next((t for t in (self._taken(created, group, body, dict(refs), caller)
                                  for group in _unique_sets(created)) if t is not None), None)
        if taken is None:
            return []
        overrides, owner_field = taken
        self.used_models.add(created.name)
        seed = Seed(var=f"existing_{snake(created.name)}", model=created.name, owner_field=owner_field,
                    owner=caller if owner_field else None, overrides=tuple(overrides))
        what = "_".join(k.removesuffix("_id") for k, _value in overrides)
        return [Case(name=f"test_{ctx.name}_with_taken_{what}_returns_{status}", endpoint=e.key, kind="conflict",
                     expect_status=status, seeds=(*parents, seed),
                     checks=(Check(kind="count", model=created.name, value=1),),
                     request=Request(method=e.method, path=e.path, json=body, auth=caller, json_refs=refs))]

    def _taken(self, model: OrmModel, group: list[str], body: dict, refs: dict[str, str], caller: str | None
               ) -> tuple[list[tuple[str, str]], str | None] | None:
        """How an existing row takes the values of unique set `group` the payload sends: the column
        overrides, and the owner column when the set includes the caller. None when some member
        comes from neither (or from a value a factory cannot take as sent: dates, decimals)."""
        columns = {f.name: f for f in model.fields}
        owner_field = self.owner_field(model)
        overrides: list[tuple[str, str]] = []
        owned = None
        for name in group:
            col = name if name in columns else f"{name}_id" if f"{name}_id" in columns else None
            key = name if name in body else col if col in body else None
            if col is not None and col == owner_field and caller in ("user", "admin"):
                owned = owner_field
            elif col is None or key is None or (key not in refs and kind_of(columns[col].type, col) in
                                                ("date", "datetime", "uuid", "float")):
                return None
            else:
                overrides.append((col, refs.get(key) or f'payload["{key}"]'))
        return (overrides, owned) if overrides else None

    def _login_cases(self, ctx: _EndpointCtx) -> list[Case] | None:
        """The app's login endpoint: register a user through the app's own sign-up endpoint, then log
        in with those credentials, with a wrong password and as a user nobody registered. Credentials
        go the way the view reads them (a form, or JSON); a session login is checked in the session
        cookie it sets (the user's id there, or not), a token login in the token it answers."""
        e = ctx.e
        is_login = any(t.kind == "endpoint" and t.name == e.key and t.app == self.app.root
                       for t in self.project.token_sources)
        if not is_login:
            return None
        form = self.web.login_form(e)
        signup = self._signup()
        if form is None or signup is None:
            self.notes.append(f"{e.key}: login endpoint without a sign-up endpoint or form fields found; "
                              "no login tests")
            return []
        shape = self.web.login_shape(e, self.code)
        creds = signup.creds
        wrong = next((s for s in ctx.raises if s in (400, 401, 403)),
                     shape.failure_status if shape and shape.failure_status else 401)
        reg = (signup.endpoint.path, creds)
        token_field = "access_token" if ctx.response and "access_token" in {f.name for f in ctx.response.fields} \
            else None
        ok = e.status_code or 200
        sent = self._login_request(e, form, creds[signup.user_field], creds[signup.password_field])
        bad = self._login_request(e, form, creds[signup.user_field], creds[signup.password_field] + "-wrong")
        nobody = self._login_request(e, form, _unknown(creds[signup.user_field]), creds[signup.password_field])
        checks = (Check(kind="truthy", name=token_field),) if token_field else ()
        if shape is not None:
            checks += (Check(kind="session-has", name=shape.session_key),)
        shown = {f.name for f in ctx.response.fields} if ctx.response and ok < 300 else set()
        if sent.json is not None and signup.user_field in shown:  # the logged-in user, as JSON (`user.to_dict()`)
            checks += (Check(kind="field", name=signup.user_field, source=f'payload["{signup.user_field}"]'),)
        if ok < 300:
            checks += tuple(self._body_checks(ctx, Request(method=e.method, path=e.path), None, list(checks)))
        refused: tuple[Check, ...] = ()
        if shape is not None:
            refused = (Check(kind="session-lacks", name=shape.session_key),)
            refused += tuple(Check(kind="flashed", value=m) for m in shape.flashes[:1])
        what = "logs_in_registered_user" if shape is not None and not token_field else \
            "returns_token_for_registered_user"
        return [
            Case(name=f"test_{ctx.name}_{what}", endpoint=e.key, kind="login", expect_status=ok, register=reg,
                 register_form=signup.as_form, checks=checks, request=sent),
            Case(name=f"test_{ctx.name}_with_wrong_password_returns_{wrong}", endpoint=e.key,
                 kind="login-wrong-password", expect_status=wrong, register=reg, register_form=signup.as_form,
                 checks=refused, request=bad),
            Case(name=f"test_{ctx.name}_with_unknown_user_returns_{wrong}", endpoint=e.key,
                 kind="login-unknown-user", expect_status=wrong, checks=refused, request=nobody),
        ]

    def _login_request(self, e: Endpoint, fields: tuple[str, str], user: Any, password: Any) -> Request:
        """The login request, as JSON when the view reads the credentials from its JSON body."""
        body = {fields[0]: user, fields[1]: password}
        if any(p.name == fields[0] and p.location == "body" for p in e.params):
            return Request(method=e.method, path=e.path, json=body)
        return Request(method=e.method, path=e.path, form=body)

    def _signup(self) -> _Signup | None:
        """The app's sign-up endpoint: an unprotected POST that creates a user (or a view that reads a
        username and a password from its form), with the credentials it is sent."""
        user = self.auth.user_model
        for e in self.endpoints():
            if e.method != "POST" or e.auth:
                continue
            schema = self.schemas.get(e.request_schema or "")
            creates = any(x.action == "create" and x.model == user for x in e.effects)
            form = tuple(SchemaField(name=p.name, type=p.type, required=p.required) for p in e.params
                         if p.location == "form")
            as_form = (schema is None and bool(form)) or (schema is not None and schema.kind == "form")
            if schema is None and form:
                schema = Schema(name=f"{e.handler}.form", kind="form", fields=form)
            if schema is None or not (creates or (as_form and "register" in e.path + e.handler)):
                continue
            names = [f.name for f in schema.fields]
            password = next((n for n in names if "password" in n), None)
            login = next((n for n in names if n in ("email", "username", "login")), None)
            if password and login:
                return _Signup(endpoint=e, creds=payload(schema, schemas=self.schemas), user_field=login,
                               password_field=password, as_form=as_form)
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class _Signup:
    """The sign-up endpoint and the credentials a test registers through it."""

    endpoint: Endpoint
    creds: dict[str, Any]
    user_field: str
    password_field: str
    as_form: bool = False  # it reads a form (`request.form["username"]`), not JSON


def _as_form(case: Case) -> Case:
    """A case of a view that reads a form (`request.form["title"]`): the body goes as form fields, in the
    local `form`. Of the invalid bodies only those missing a field stay: a form has no types, and a
    view that indexes `request.form` answers 400 for a missing key."""
    req = case.request

    def local(text: str) -> str:
        return "form" + text[len("payload"):] if text.startswith("payload[") else text

    checks = tuple(replace(c, source=local(c.source), value_from=local(c.value_from)) for c in case.checks)
    params = tuple(p for p in case.params if p[0].startswith("missing-")) if case.kind == "invalid-body" \
        else case.params
    form = dict(req.json) if req.json is not None else None
    return replace(case, checks=checks, params=params, request=replace(
        req, json=None, json_var=None, json_refs=(), form=form, form_var=req.json_var))


def _required_query(e: Endpoint) -> dict[str, Any]:
    """A valid value for each required query parameter (`def convert(amount: float)`): without it the
    framework refuses the request (422) before the handler, whatever the case is about."""
    return {p.name: valid_value(p.name, p.type, p.constraints) for p in e.params
            if p.location == "query" and p.required}


def _with_query(case: Case, required: dict[str, Any]) -> Case:
    """The case with the required query sent: the query cases vary one value over valid others, the
    rest send the valid values in the local `params`."""
    if not required:
        return case
    if case.request.query_var:
        return replace(case, params=tuple((pid, {**required, **value}) for pid, value in case.params))
    return replace(case, request=replace(case.request, query=dict(required), query_var="params"))


# What a view reads its request body through: Flask's request, webargs/flask-apispec decorators.
_BODY_READS = frozenset({"request.json", "request.get_json", "request.form", "request.data", "request.values",
                         "request.get_data", "request.files"})
_BODY_DECORATORS = frozenset({"use_kwargs", "use_args", "input", "arguments"})


def _reads_body(fn: Any) -> bool:
    """Whether a function reads a request body (`request.get_json()`, `request.form[...]`, `@use_kwargs`)."""
    decorated = any((dotted(call_func(d) if is_call(d) else d) or "").rsplit(".", 1)[-1] in _BODY_DECORATORS
                    for d in fn.decorators)
    exprs = (*fn.calls, *(v for _t, v, _line in fn.assigns), *fn.returns_values)
    return decorated or any((dotted(node) or "").removeprefix("flask.") in _BODY_READS
                            for top in exprs for node in walk(top) if isinstance(node, tuple) and node)


def _wrapped_lists(fn: Any) -> tuple[str, ...]:
    """Keys of a dict body that hold a list built in the return (`jsonify({"tags": [t.name for t in
    tags]})`): the body is that dict, not a list of rows."""
    found = success_body(fn)
    if found is None and fn is not None and len(fn.returns_values) == 1:  # `jsonify({...})`
        body = fn.returns_values[0]
        if is_call(body) and len(call_args(body)) == 1 and not call_kwargs(body):
            found = success_body(replace(fn, returns_values=(call_args(body)[0],)))
    if not found:
        return ()
    keys, _built = found
    return tuple(sorted(k for k, v in keys.items() if isinstance(v, tuple) and v
                        and (v == ("x", "ListComp") or v[0] == "l")))


def _columns(model: OrmModel | None) -> set[str]:
    """Columns a path parameter may be named after (`{slug}`): not keys, not foreign keys."""
    return {f.name for f in model.fields if ("primary_key", "true") not in f.constraints
            and f.name not in ("id", "pk") and not f.type.startswith("fk:")} if model else set()


def _stem(param: str) -> str:
    """The model a path parameter names (`item_id` -> "item", `article_slug` -> "article")."""
    return re.sub(r"_?(id|pk|uuid|slug)$", "", param)


def _unknown(user: Any) -> str:
    """A login nobody registered, shaped like the registered one (an address stays an address)."""
    text = str(user)
    return f"nobody-{text}" if "@" in text else f"{text}-nobody"


def _unique_sets(model: OrmModel) -> list[list[str]]:
    """Columns that must be unique together: single unique columns first, then the sets the analysis
    found (`("unique_together", "owner,name")` on each member)."""
    singles = [[f.name] for f in model.fields if ("unique", "true") in f.constraints
               and ("primary_key", "true") not in f.constraints]
    sets = [v.split(",") for f in model.fields for k, v in f.constraints if k == "unique_together"]
    return singles + list({tuple(s): s for s in sets}.values())


@dataclass(frozen=True, slots=True, kw_only=True)
class _EndpointCtx:
    """What the case builders need to know about one endpoint."""

    e: Endpoint
    name: str  # the handler's function name
    raises: tuple[int, ...]  # statuses the handler raises itself
    needs_user: bool  # protected by a user credential Seamline can make
    role: Any  # the AuthRequirement of a role/permission check, if any
    body: Schema | None
    response: Schema | None
    many: bool  # the response is a list
    resource: OrmModel | None  # the model a path parameter points at


# Route keywords that make FastAPI leave fields of the response model out of the body.
_RESHAPING = ("response_model_exclude_unset", "response_model_exclude_none", "response_model_exclude_defaults",
              "response_model_exclude", "response_model_include")


def _literal_source(default: str) -> str | None:
    """Test-side code for a schema default that is a plain string or integer (`'bearer'`), else None."""
    try:
        value = ast.literal_eval(default)
    except (ValueError, SyntaxError):
        return None
    return literal(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else None


def _rename(e: MaybeExpr, old: str, new: str) -> MaybeExpr:
    if not isinstance(e, tuple) or not e:
        return e
    if e[0] == "n" and len(e) == 2 and e[1] == old:
        return ("n", new)
    return tuple(_rename(x, old, new) if isinstance(x, tuple) else x for x in e)


def _args_text(call: Expr) -> list[str]:
    args = [render(a) for a in call[2]]
    args += [f"{n}={render(v)}" for n, v in call[3] if n != "**"]
    return args


def _plan_endpoint(planner: _Planner, e: Endpoint) -> list[Case]:
    """The cases of one endpoint; a planner mistake on it (an exception) costs that endpoint its tests,
    never the others', and is reported plainly in the suite's notes as Seamline's own."""
    try:
        return planner.plan(e)
    except Exception as exc:  # noqa: BLE001 - any planner bug: the other endpoints still get their tests
        log.exception("planning tests for %s failed", e.key)
        planner.notes.append(f"{e.key}: no tests generated, a Seamline generator mistake "
                             f"({type(exc).__name__}: {exc}); please report it")
        return []


def suite_output(app: App, output: str | None = None) -> str:
    """The folder of an app's generated tests: `--out`, else `[tool.seamline] output`, else tests/integration."""
    return output or next((str(c.value) for c in app.config if c.key == "output"), "tests/integration")


def plan_suite(project: Project, app: App, *, root: Path, web: WebAdapter, orm: str,
               endpoints: Iterable[str] | None = None, output: str | None = None, flows: bool = False) -> Suite:
    """Plan the tests of `app`; `endpoints` (keys like "POST /api/v1/items/" or handler names) picks
    the routers whose test files are produced: a router's file always holds all its endpoints."""
    app_dir = root if app.root == "." else root / app.root
    planner = _Planner(project, app, web, CodeFacts(app_dir=app_dir), orm=orm)
    wanted = set(endpoints) if endpoints is not None else None
    by_file: dict[str, list[Endpoint]] = {}
    for e in planner.endpoints():
        by_file.setdefault(e.file, []).append(e)
    modules: list[Module] = []
    taken: set[str] = set()
    for file in sorted(by_file):
        eps = sorted(by_file[file], key=lambda x: x.line)
        if wanted is not None and not any(x.key in wanted or x.handler in wanted for x in eps):
            continue
        cases: list[Case] = []
        seen: set[str] = set()
        for e in eps:
            for case in _plan_endpoint(planner, e):
                name = case.name
                while name in seen:
                    name += "_again"
                seen.add(name)
                cases.append(case if name == case.name else replace(case, name=name))
        rel = file if app.root == "." else str(PurePosixPath(file).relative_to(app.root))
        name = test_file_name(rel, taken)
        taken.add(name)
        modules.append(Module(source=rel, file=name, cases=tuple(cases), endpoints=tuple(x.key for x in eps)))
    if flows:
        found = plan_flows(planner)
        if found:
            involved = tuple(dict.fromkeys(step.endpoint for f in found for step in f.steps))
            modules.append(Module(source="flows across endpoints", file="test_flows_api.py", flows=tuple(found),
                                  endpoints=involved))
    db_setting = next((s for svc in project.services if svc.app == app.root
                       and svc.kind in ("postgres", "mysql", "mariadb", "sqlite") for s in svc.settings),
                      "DATABASE_URL")
    modules = _with_envelopes(modules, project, app)
    return Suite(app=app.root, framework=web.framework, orm=orm, entry=app.entry or "",
                 output=suite_output(app, output),
                 modules=tuple(modules), auth=planner.auth, models=tuple(sorted(planner.used_models)),
                 database_setting=db_setting, notes=tuple(dict.fromkeys(planner.notes)),
                 doubles=planner.doubles.used(),
                 user_companions=user_companions(project, app, planner.auth.user_model, planner.models))


def _with_envelopes(modules: list[Module], project: Project, app: App) -> list[Module]:
    """Requests to endpoints whose schema wraps the body in a key (a marshmallow `@pre_load` that
    takes out `data["user"]`, a `@post_dump` that answers `{"user": data}`) send and read it there."""
    schemas = {s.name: s for s in project.schemas}
    endpoints = {e.key: e for e in project.endpoints if e.app == app.root}

    def keys(key: str) -> tuple[str | None, str | None]:
        e = endpoints.get(key)
        if e is None:
            return None, None
        sent, answered = schemas.get(e.request_schema or ""), schemas.get(e.response_schema or "")
        return (sent.envelope if sent else None), (answered.dump_envelope if answered else None)

    def wrapped(key: str, req: Request) -> Request:
        sent, answered = keys(key)
        has_body = req.json is not None or req.json_var is not None
        return replace(req, envelope=sent if has_body else None, response_envelope=answered)

    if not any(s.envelope or s.dump_envelope for s in project.schemas):
        return modules
    out = []
    for m in modules:
        cases = tuple(replace(c, request=wrapped(c.endpoint, c.request),
                              register_envelope=keys(f"POST {c.register[0]}")[0] if c.register else None)
                      for c in m.cases)
        flows = tuple(replace(f, steps=tuple(replace(st, request=wrapped(st.endpoint, st.request)) for st in f.steps))
                      for f in m.flows)
        out.append(replace(m, cases=cases, flows=flows))
    return out


def user_companions(project: Project, app: App, user_model: str | None,
                    models: dict[str, OrmModel]) -> tuple[tuple[str, str], ...]:
    """(model, foreign key column) of the rows the app's sign-up makes along with each user: an
    endpoint that creates a user also creates a row of a model with a required foreign key to the
    user model (flask-realworld's `UserProfile(User(...))`). Code the app runs for every user expects
    that row (`current_user.profile.id`), so the user factory makes one too."""
    if not user_model:
        return ()
    found: dict[str, str] = {}
    for e in project.endpoints:
        made = {x.model for x in e.effects if x.action == "create"}
        if e.app != app.root or user_model not in made:
            continue
        for name in sorted(made - {user_model}):
            required_fks = [f for f in models[name].fields if f.type.startswith("fk:") and f.required] \
                if name in models else []
            # made from the user alone: a row that needs another parent too is not the user's own
            if len(required_fks) == 1 and required_fks[0].type == f"fk:{user_model}":
                found.setdefault(name, required_fks[0].name)
    return tuple(found.items())

