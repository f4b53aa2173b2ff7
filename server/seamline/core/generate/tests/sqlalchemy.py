"""SQLAlchemy (and SQLModel) models: schema from the models' metadata, rows through the models, reads
through a session of the tests' own, isolation by truncation (see the generated conftest's docstring)."""

from __future__ import annotations

from ...model import OrmModel, Project
from .adapters import Section
from .model import Suite
from .naming import plural, short, snake
from .values import seed_expr, seed_fields


def _module(model: OrmModel) -> str:
    return model.name.rsplit(".", 1)[0]


class SqlAlchemyAdapter:
    orm = "sqlalchemy"
    database_doc = """
Database: tables are created once per session from the models' metadata. After every test all tables
are emptied (TRUNCATE ... RESTART IDENTITY on PostgreSQL, DELETE elsewhere). Truncation, not a rolled
back outer transaction, because the app commits through its own sessions: a test must see exactly
what the app committed, so a handler that forgets to commit fails its test. Factories (`make_*`) add
rows through the app's models; the truncation removes them too.

Parallel runs (pytest-xdist, `-n auto`): each worker gets a database of its own, named after
the configured one plus the worker id (`<name>_gw0`; a file next to it for SQLite). It is made fresh
when the worker starts (before the app is imported, so the app's settings name it) and dropped when
the worker's session ends. Without xdist the configured database is used as it is.
"""

    def prepare_project(self, project: Project) -> Project:
        return project

    def model_import(self, model: OrmModel) -> str:
        return f"from {_module(model)} import {short(model.name)}"

    def database_sections(self, suite: Suite, models: tuple[OrmModel, ...]) -> tuple[Section, ...]:
        prepare = Section(
            stdlib=("import contextlib",),
            third_party=("from sqlalchemy import create_engine, exc, text", "from sqlalchemy.engine import make_url"),
            setup="WORKER_DATABASE = _prepare_database()", code=_PREPARE)
        first = short(models[0].name) if models else None
        if first is None:
            return (prepare,)
        database = Section(
            stdlib=("import inspect",),
            third_party=("from sqlalchemy import create_engine, select, text", "from sqlalchemy.orm import Session",
                         "from sqlalchemy import inspect as mapper_of"),
            app=tuple(self.model_import(m) for m in models),
            code=_DATABASE.replace("{metadata}", f"{first}.metadata"))
        return (prepare, database)

    def factory_section(self, suite: Suite, model: OrmModel, *, fk_parents: dict[str, OrmModel],
                        companions: tuple[tuple[OrmModel, str], ...] = ()) -> Section:
        cls = short(model.name)
        fks = {f.name: f.type[3:] for f in model.fields if f.type.startswith("fk:")}
        fields = seed_fields(model, fk_fields=fks)
        exprs = {f.name: seed_expr(f) for f in fields}
        parents = []
        for name, target in fks.items():
            required = next((f.required for f in model.fields if f.name == name), False)
            if required and target in fk_parents and target != model.name:
                parents.append((name, f"make_{snake(target)}"))
        values = "{" + ", ".join(f'"{k}": {v}' for k, v in exprs.items()) + "}"
        if len(values) > 80:
            values = "{\n" + "".join(f'            "{k}": {v},\n' for k, v in exprs.items()) + "        }"
        fixture_args = ", ".join(["db", *dict.fromkeys(p for _, p in parents)])
        parent_lines = "".join(f'        if "{name}" not in values:\n            values["{name}"] = {factory}().id\n'
                               for name, factory in parents)
        table = model.table or plural(model.name)
        owner_factory = dict(parents).get(dict(suite.user_companions).get(model.name, ""))
        made_with = []  # the rows the app's sign-up makes with each user (plan.user_companions)
        for other, fk in companions:
            other_fks = {f.name: f.type[3:] for f in other.fields if f.type.startswith("fk:")}
            seeds = {f.name: seed_expr(f) for f in seed_fields(other, fk_fields=other_fks)}
            values_of = ", ".join([f'"{fk}": row.id', *(f'"{k}": {v}' for k, v in seeds.items())])
            made_with.append((other, f"        db.add(_new_row(db, {short(other.name)}, {{{values_of}}}))\n"))
        written = [*exprs.values(), *(line for _o, line in made_with)]
        stdlib = ["import itertools"] + [f"import {m}" for m in ("datetime", "uuid")
                                         if any(f"{m}." in x for x in written)]
        if owner_factory is not None:  # a companion of the user: its factory hands back the user's own row
            fk = dict(suite.user_companions)[model.name]
            return self._companion_factory(model, fk, owner_factory, exprs, stdlib, fixture_args)
        companion_lines = "".join(line for _o, line in made_with)
        if made_with:
            companion_lines = (f"        # made with every {cls}, as the app's sign-up does\n{companion_lines}"
                               "        db.commit()\n")
        code = f'''
@pytest.fixture
def make_{snake(model.name)}({fixture_args}):
    """Add `{table}` rows through the app's model {cls}; any column can be overridden. Values are
    numbered per test, so every run and every order gives the same data."""
    numbers = itertools.count(1)

    def make(**overrides):
        n = next(numbers)
        values = {values}
        values.update(overrides)
{parent_lines}        row = _new_row(db, {cls}, values)
        db.add(row)
        db.commit()
        db.refresh(row)
{companion_lines}        return row

    return make
'''
        imports = (self.model_import(model), *(self.model_import(o) for o, _l in made_with))
        return Section(stdlib=tuple(stdlib), app=imports, code=code)

    def _companion_factory(self, model: OrmModel, fk: str, owner_factory: str, exprs: dict[str, str],
                           stdlib: list[str], fixture_args: str) -> Section:
        """The factory of a row the user factory already makes with each user (plan.user_companions):
        it gives that user's own row (overrides applied), so a second one never replaces it (a
        one-to-one relationship would orphan the first)."""
        cls = short(model.name)
        seeds = "".join(f'"{k}": {v}, ' for k, v in exprs.items())
        code = f'''
@pytest.fixture
def make_{snake(model.name)}({fixture_args}):
    """The `{model.table or plural(model.name)}` row of a user (made with every user, as the app's sign-up
    does): a new user's unless `{fk}` names one; any column can be overridden."""
    numbers = itertools.count(1)

    def make(**overrides):
        n = next(numbers)
        owner = overrides.pop("{fk}", None)
        if owner is None:
            owner = {owner_factory}().id
        row = db.scalars(select({cls}).filter_by({fk}=owner)).first()
        if row is None:
            row = _new_row(db, {cls}, {{"{fk}": owner, {seeds}}})
            db.add(row)
        for name, value in overrides.items():
            setattr(row, name, value)
        db.commit()
        db.refresh(row)
        return row

    return make
'''
        return Section(stdlib=tuple(stdlib), third_party=("from sqlalchemy import select",),
                       app=(self.model_import(model),), code=code)

    def count_section(self, model: OrmModel) -> Section:
        cls = short(model.name)
        code = f'''
@pytest.fixture
def count_{plural(model.name)}(db):
    """How many `{model.table or plural(model.name)}` rows are committed right now."""

    def count():
        return db.scalar(select(func.count()).select_from({cls}))

    return count
'''
        return Section(third_party=("from sqlalchemy import func, select",), app=(self.model_import(model),),
                       code=code)

    def fetch_lines(self, model: OrmModel, pk: str, var: str = "row") -> list[str]:
        # expire_all: forget what this session loaded before the request and read what is committed now
        return ["db.expire_all()", f"{var} = db.get({short(model.name)}, {pk})"]


_PREPARE = '''
def _prepare_database():
    """Under pytest-xdist, point the app at a database of this worker's own, made fresh (one left by an
    interrupted run is dropped first): on PostgreSQL and MySQL/MariaDB `<name>_gw0` on the same server
    (on MySQL with the configured one's character set and collation), on SQLite the file
    `<name>_gw0.<ext>` next to the configured one. The `metadata` fixture creates its tables. Returns
    (configured URL, worker URL) for `pytest_sessionfinish` to drop it; None without xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = os.environ.get(DATABASE_SETTING, "")
    if not worker or not url.startswith(("postgresql", "sqlite", "mysql", "mariadb")):
        return None
    configured = make_url(url)
    if configured.get_backend_name() == "sqlite":
        if configured.database in (None, "", ":memory:"):
            return None  # an in-memory database is already the worker's own
        path = Path(configured.database)
        own = configured.set(database=str(path.with_name(f"{path.stem}_{worker}{path.suffix}")))
    else:
        own = configured.set(database=f"{configured.database or 'seamline'}_{worker}")
    _drop_database(configured, own)
    if own.get_backend_name() != "sqlite":
        with _on_server(configured) as conn:
            like = _like(conn, configured.database)
            conn.execute(text(f"CREATE DATABASE {_quoted(conn, own.database)}{like}"))
    for name, value in list(os.environ.items()):  # every setting that names the database (DATABASE_URL, ...)
        if value == url:
            os.environ[name] = own.render_as_string(hide_password=False)
    return configured, own


def _like(conn, configured):
    """On MySQL/MariaDB, the configured database's character set and collation for the worker's own
    (the server's default may differ from what the app's database was made with); "" elsewhere."""
    if conn.dialect.name not in ("mysql", "mariadb") or not configured:
        return ""
    found = conn.execute(text("SELECT default_character_set_name, default_collation_name "
                              "FROM information_schema.schemata WHERE schema_name = :name"),
                         {"name": configured}).first()
    return f" CHARACTER SET {found[0]} COLLATE {found[1]}" if found else ""


def _drop_database(configured, own) -> None:
    """Remove the worker's database `own`, ending the connections the app's engine still holds to it
    (PostgreSQL refuses to drop a database in use; MySQL would wait on their open transactions)."""
    if own.get_backend_name() == "sqlite":
        Path(own.database).unlink(missing_ok=True)
        return
    with _on_server(configured) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": own.database})
        else:
            ids = conn.scalars(text("SELECT id FROM information_schema.processlist "
                                    "WHERE db = :name AND id <> CONNECTION_ID()"), {"name": own.database})
            for connection_id in list(ids):
                try:
                    conn.execute(text(f"KILL CONNECTION {int(connection_id)}"))
                except exc.OperationalError as e:
                    if e.orig.args[0] != 1094:  # not "Unknown thread id": it did not just end by itself
                        raise
        conn.execute(text(f"DROP DATABASE IF EXISTS {_quoted(conn, own.database)}"))


@contextlib.contextmanager
def _on_server(configured):
    """A connection outside any transaction (CREATE/DROP DATABASE cannot run inside one) to the
    configured database: the one being created or dropped is not there, or must not be in use."""
    admin = create_engine(configured, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            yield conn
    finally:
        admin.dispose()


def _quoted(conn, name: str) -> str:
    """`name` as an identifier, quoted the way the server's dialect does it ("x" or `x`)."""
    return conn.dialect.identifier_preparer.quote_identifier(name)


def pytest_sessionfinish(session):
    """Under pytest-xdist, drop this worker's database once its tests are done (every worker's session
    ends here, also one that got no tests)."""
    if WORKER_DATABASE is not None:
        _drop_database(*WORKER_DATABASE)
'''

_DATABASE = '''
@pytest.fixture(scope="session")
def engine():
    url = os.environ.get(DATABASE_SETTING)
    if not url:
        pytest.fail(f"{DATABASE_SETTING} is not set: run `seamline env up` first (it writes .seamline/env)",
                    pytrace=False)
    engine = create_engine(url)
    if engine.dialect.name in ("mysql", "mariadb"):
        # a test's reads must see what the app committed since its session first read (a row the
        # request deleted is gone); MySQL's default REPEATABLE READ keeps showing that first snapshot
        engine.update_execution_options(isolation_level="READ COMMITTED")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def metadata(engine):
    """The app's tables, created once per run. A database Seamline did not set up must be empty:
    every test ends by emptying all tables."""
    metadata = {metadata}
    metadata.create_all(engine)
    if not os.environ.get("SEAMLINE_ENV_FILE"):
        with engine.connect() as conn:
            used = [t.name for t in metadata.sorted_tables if conn.execute(select(t).limit(1)).first()]
        if used:
            pytest.fail(f"{DATABASE_SETTING} points at a database with data in {used}; these tests empty "
                        "every table. Use `seamline env up` or a throwaway database.", pytrace=False)
    return metadata


@pytest.fixture(autouse=True)
def _empty_tables(engine, metadata):
    yield
    tables = list(reversed(metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL lock_timeout = '10s'"))
            names = ", ".join(conn.dialect.identifier_preparer.format_table(t) for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def db(engine, _empty_tables):
    """A session of the tests' own: seeds rows and reads back what the app committed."""
    with Session(engine) as session:
        yield session


def _new_row(db, model, values):
    """A row of `model` made the way the app makes one. A model with an `__init__` of its own
    (`Comment(article, body)`) gets each of its parameters by name from `values`; a parameter that is
    a relationship (`article`) gets the row its foreign key column (`article_id`) names. Values the
    `__init__` does not take are set on the row afterwards (or passed on, when it takes `**kwargs`)."""
    values = dict(values)
    if "__init__" not in vars(model):
        return model(**values)
    relationships = mapper_of(model).relationships
    args = {}
    takes_rest = False
    for name, param in list(inspect.signature(model.__init__).parameters.items())[1:]:
        if param.kind is param.VAR_KEYWORD:
            takes_rest = True
        elif param.kind is param.VAR_POSITIONAL:
            continue
        elif name in values:
            args[name] = values.pop(name)
        elif name in relationships:
            columns = [c.key for c in relationships[name].local_columns if c.key in values]
            if columns:
                args[name] = db.get(relationships[name].mapper.class_, values.pop(columns[0]))
    if takes_rest:
        return model(**args, **values)
    row = model(**args)
    for name, value in values.items():
        setattr(row, name, value)
    return row
'''
