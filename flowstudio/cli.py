"""The `flowstudio` command: validate flows, publish the schema, import and export Studio JSON."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import __version__
from .spec.depth import MAX_DEPTH, dotted, nul_path, too_deep
from .spec.flowfile import flow_files, load_flow_file, write_atomic
from .spec.yamlio import MAX_FILE_BYTES
from .spec.issues import FlowLoadError, Issue


@click.group()
@click.version_option(__version__, prog_name="flowstudio")
def main() -> None:
    """FlowStudio: build, check and run SMS and voice flows."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              help="text for people, json for tools.")
def validate(paths: tuple[Path, ...], fmt: str) -> None:
    """Check flow files (or every flow in the given folders).

    Exits 1 when any flow has an error, 0 when there are only warnings.
    """
    from .spec.flowindex import FlowIndex
    from .spec.validate import validate_document

    files = flow_files(paths)
    results: dict[str, list[Issue]] = {}
    siblings: dict[Path, FlowIndex] = {}  # the flows per folder, for run-subflow checks
    for f in files:
        if f.parent not in siblings:
            siblings[f.parent] = FlowIndex.of_folder(f.parent)
        known = siblings[f.parent]
        try:
            results[str(f)] = validate_document(load_flow_file(f), known)
        except FlowLoadError as exc:
            results[str(f)] = exc.issues
    errors = sum(i.is_error for issues in results.values() for i in issues)
    warnings = sum(not i.is_error for issues in results.values() for i in issues)
    if fmt == "json":
        click.echo(json.dumps({"files": {f: [i.to_dict() for i in issues] for f, issues in results.items()},
                               "errors": errors, "warnings": warnings}, indent=2))
    else:
        for issues in results.values():
            for issue in issues:
                click.echo(issue.format(), err=False)
        click.echo(f"{len(files)} flow{'s' if len(files) != 1 else ''} checked: "
                   f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}",
                   err=True)
    sys.exit(1 if errors else 0)


@main.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
def schema(output: Path | None) -> None:
    """Write the JSON Schema of flow files, for YAML editors.

    Point an editor at it with `# yaml-language-server: $schema=flowstudio.schema.json`.
    """
    from .spec.schema import combined_schema

    _emit(json.dumps(combined_schema(), indent=2) + "\n", output)


@main.command("import-studio")
@click.argument("sources", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="The flow file to write (default: standard output); with several sources, "
                   "the folder to write them to (each as <source name>.yaml).")
@click.option("--name", help="The flow's name (default: the file name); one source only.")
@click.option("--sid", "sids", multiple=True, metavar="FW…",
              help="The flow's Studio SID, recorded as `sid:` so Run Subflow widgets that name it "
                   "resolve; once per source, in the same order.")
def import_studio(sources: tuple[Path, ...], output: Path | None, name: str | None, sids: tuple[str, ...]) -> None:
    """Convert Twilio Studio flow definitions (JSON) into FlowStudio YAML flows.

    A source is a definition as Studio exports it, or the REST API's Flow resource
    (its `definition` and `sid`). A definition does not carry its own SID, but Run
    Subflow names its child by it: give each flow's SID with --sid so subflows resolve, e.g.
    `flowstudio import-studio main.json survey.json --sid FW… --sid FW… -o flows/`.
    """
    from .spec.flowfile import dump_flow
    from .spec.flowindex import is_flow_sid
    from .spec.studio import StudioFormatError, from_studio, unwrap_export

    if sids and len(sids) != len(sources):
        raise click.UsageError(f"give one --sid per source: {len(sources)} source(s), {len(sids)} --sid")
    for sid in sids:
        if not is_flow_sid(sid):
            raise click.UsageError(f"--sid {sid!r} is not a Studio flow SID (FW followed by 32 hexadecimal digits)")
    several = len(sources) > 1
    if several and name:
        raise click.UsageError("--name names one flow: give one source with it")
    if several and (output is None or output.is_file()):
        raise click.UsageError("with several sources, -o must name a folder to write the flows to")
    folder = output if output is not None and (several or output.is_dir()) else None
    stems = [s.stem for s in sources]
    twice = sorted({stem for stem in stems if stems.count(stem) > 1})
    if several and twice:
        raise click.UsageError(f"two sources would both be written as {twice[0]}.yaml: rename one")
    converted = []  # every source is read before any file is written: all or nothing
    for k, source in enumerate(sources):
        definition, resource_sid = unwrap_export(_read_json(source))
        target = folder / f"{source.stem}.yaml" if folder is not None else output
        try:
            flow = from_studio(definition, name or (target.stem if target else source.stem))
        except StudioFormatError as exc:
            raise click.ClickException(f"{source}: {exc}") from None
        flow.sid = sids[k] if sids else resource_sid
        converted.append((flow, target))
    for flow, target in converted:
        _emit(dump_flow(flow), target, f"({len(flow.widgets)} widgets)")


@main.command("export-studio")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="The JSON file to write (default: standard output).")
def export_studio(source: Path, output: Path | None) -> None:
    """Convert a FlowStudio YAML flow into a Twilio Studio flow definition (JSON).

    Run Subflow widgets that name a flow of this folder by id are written with the
    Studio SID that flow records (`sid:`), as Studio names subflows."""
    from .spec.flowindex import FlowIndex
    from .spec.model import Flow
    from .spec.studio import to_studio
    from .spec.validate import validate_document

    try:
        doc = load_flow_file(source)
    except FlowLoadError as exc:
        raise click.ClickException(str(exc)) from None
    shape_errors = [i for i in validate_document(doc) if i.code == "envelope"]
    if shape_errors:
        raise click.ClickException("\n".join(i.format() for i in shape_errors))
    # Run Subflow names a flow here by id; Studio names it by the SID its file records.
    sids = {flow_id: sid for sid, flow_id in FlowIndex.of_folder(source.parent).sids().items()}
    _emit(json.dumps(to_studio(Flow.from_data(doc.data), sids), indent=2, ensure_ascii=False) + "\n", output)


@main.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--update", is_flag=True, help="Rewrite the expectations with what happens now.")
@click.option("--coverage", is_flag=True, help="List the transitions that no test takes.")
def test_command(paths: tuple[Path, ...], update: bool, coverage: bool) -> None:
    """Run flow tests (`*.test.yaml` beside the flows; default: flows/)."""
    from .flowtests import FlowTestError, flow_test_files, run_file

    files = flow_test_files(paths or [Path("flows")])
    if not files:
        raise click.ClickException("no flow tests found (files named <flow>.test.yaml)")
    passed = failed = 0
    taken: dict[tuple[Path, str], set] = {}
    for f in files:
        try:
            results = run_file(f, update)
        except FlowTestError as exc:
            click.echo(f"ERROR {exc}")
            failed += 1
            continue
        for r in results:
            for flow, *branch in r.branches:  # subflows' branches count for the subflow
                taken.setdefault((f.parent, flow), set()).add(tuple(branch))
            passed += r.passed
            failed += not r.passed
            click.echo(f"{'PASS' if r.passed else 'FAIL'} {f}: {r.name}")
            for failure in r.failures:
                click.echo("  " + failure.replace("\n", "\n  "))
    if coverage:
        _print_coverage(taken)
    if update:
        click.echo(f"updated expectations in {len(files)} file{'s' if len(files) != 1 else ''}")
    click.echo(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


def _print_coverage(taken: dict) -> None:
    from .flowtests import branches_of
    from .spec.model import Flow

    for (folder, flow), branches in sorted(taken.items()):
        try:
            missing = sorted(branches_of(Flow.from_data(load_flow_file(folder / f"{flow}.yaml").data)) - branches)
        except FlowLoadError as exc:
            click.echo(f"coverage {flow}: cannot load the flow: {exc}")
            continue
        click.echo(f"coverage {flow}: " + ("every transition is taken" if not missing else
                                          f"{len(missing)} transition(s) never taken:"))
        for source, event, target in missing:
            click.echo(f"  {source} --{event}--> {target}")


@main.command()
@click.argument("flow_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--contact", default=None, help="Your phone number (default +15555550142).")
@click.option("--number", default=None, help="The flow's phone number (default +15555550100).")
def run(flow_file: Path, contact: str | None, number: str | None) -> None:
    """Try a flow in the terminal: type messages, /call, /press 1, /say words, /wait 3600."""
    from .conversation import DEFAULT_CONTACT, DEFAULT_NUMBER
    from .terminal import run_console

    run_console(flow_file, contact or DEFAULT_CONTACT, number or DEFAULT_NUMBER)


@main.command()
@click.option("--flows", "flows_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("flows"),
              show_default=True, help="The folder of flow files.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=None, type=click.IntRange(1, 64),
              help="Worker processes [default: one per core, at most 8]; see the README's deployment section.")
@click.option("--insecure", is_flag=True, help="Accept unsigned webhooks off loopback (logs a warning).")
def serve(flows_dir: Path, host: str, port: int, workers: int | None, insecure: bool) -> None:
    """Serve the webhooks and the API."""
    import os

    workers = workers or default_workers()

    from . import create_app
    from .server import serve as run_server
    from .repository import listing

    os.environ.update({"FLOWSTUDIO_FLOWS_DIR": str(flows_dir), "FLOWSTUDIO_LISTEN_HOST": host})
    from .gunicorn_worker import deadlines, read_buffer_bytes
    try:
        deadlines()  # here, not in every worker
        read_buffer_bytes()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    _check_schema()
    # Once the settings are known good (a refused start leaves the environment alone),
    # and before anything imports prometheus-client (the checks above do not).
    from .server import multiprocess_metrics
    hooks = multiprocess_metrics(workers)
    if insecure:
        os.environ["FLOWSTUDIO_INSECURE"] = "1"
        click.echo("WARNING: --insecure: unsigned webhooks are accepted from anywhere", err=True)
    from .web.auth import is_loopback
    if not is_loopback(host) and not os.environ.get("FLOWSTUDIO_PASSWORD"):
        click.echo("WARNING: listening beyond loopback without FLOWSTUDIO_PASSWORD: the editor and the API are "
                   "closed (set FLOWSTUDIO_PASSWORD, or FLOWSTUDIO_API_TOKEN for scripts)", err=True)
    base = f"http://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}"
    click.echo(f"FlowStudio is running at {base}/  (API: {base}/api/flows)")
    served, ignored = listing(Path(flows_dir).resolve())   # the editor's list: what the webhooks answer
    for served_id in served:
        click.echo(f"  {served_id}: webhook {base}/webhooks/{served_id}")
    for file in ignored:
        name = file["file"].encode("utf-8", "backslashreplace").decode()   # a name that is no UTF-8 prints too
        click.echo(f"  not served: {name}: {file['reason']}")
    click.echo("Point a Twilio number's \"A message comes in\" and \"A call comes in\" at a webhook URL "
               "(through a public address: see the README).")
    run_server(create_app, host, port, workers=workers, hooks=hooks)


MAX_DEFAULT_WORKERS = 8


def default_workers() -> int:
    """`flowstudio serve`'s worker processes when --workers is not given: one per core
    this process may run on (its CPU affinity, so a container limited by cpuset gets
    its share), at most MAX_DEFAULT_WORKERS. Several processes are safe on SQLite as on
    PostgreSQL (per-contact locks across processes, timers and campaigns claimed in the
    database, live views passed between the processes: web/livequeue.py); on SQLite they
    still share one writer, so past a few cores more processes add little."""
    import os

    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_WORKERS))


@main.group()
def db() -> None:
    """The database's schema: where it is, and upgrading it.

    The database is FLOWSTUDIO_DATABASE_URL, else the SQLite file in FLOWSTUDIO_DATA_DIR
    (default ./data). SQLite is upgraded by every start anyway; a PostgreSQL database
    shared by several processes is upgraded only by `flowstudio db upgrade`.
    """


_DATABASE_URL = click.option("--database-url", metavar="URL", default=None,
                             help="SQLAlchemy URL (default: FLOWSTUDIO_DATABASE_URL, else the data folder's SQLite).")


def _db_store(database_url: str | None):
    from .adapters.store import Store
    from .config import Settings

    settings = Settings.from_env(database_url=database_url)
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Store(settings.url)


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@db.command("upgrade")
@_DATABASE_URL
def db_upgrade(database_url: str | None) -> None:
    """Apply the migrations the database lacks (safe to run while servers run:
    several processes never apply one twice)."""
    from .adapters import migrate

    store = _db_store(database_url)
    try:
        before, after = migrate.upgrade(store)
    finally:
        store.close()
    if before == after:
        click.echo(f"{_shown(store.url)}: already at {after} (the newest)")
    else:
        click.echo(f"{_shown(store.url)}: upgraded from {before or 'an empty schema'} to {after}")


@db.command("current")
@_DATABASE_URL
def db_current(database_url: str | None) -> None:
    """Show the database's revision and the one this version needs; exit 1 if they differ."""
    from .adapters import migrate

    store = _db_store(database_url)
    try:
        revision = migrate.current(store)
    finally:
        store.close()
    needed = migrate.head()
    state = "up to date" if revision == needed else "run `flowstudio db upgrade`"
    click.echo(f"{_shown(store.url)}: at {revision or 'none'}, this version needs {needed} ({state})")
    sys.exit(0 if revision == needed else 1)


@db.command("revision")
@click.option("-m", "--message", required=True, help="What the revision changes (its file name).")
def db_revision(message: str) -> None:
    """For developers: write a new revision from the difference between the newest
    one and flowstudio/adapters/schema.py (on a scratch SQLite database). Read it
    before committing: autogenerate misses some changes (see Alembic's docs)."""
    import tempfile

    from alembic import command

    from .adapters import migrate
    from .adapters.store import Store

    with tempfile.TemporaryDirectory() as scratch:
        store = Store(f"sqlite:///{scratch}/scratch.db")
        try:
            migrate.upgrade(store)
            with migrate.migrating(store) as conn:
                command.revision(migrate.config(conn), message, autogenerate=True, rev_id=migrate.next_id())
        finally:
            store.close()


def _check_schema() -> None:
    """Before gunicorn starts: the database opens (SQLite upgraded, PostgreSQL at the
    newest revision), or `serve` stops with the reason instead of each worker failing."""
    from .adapters.migrate import SchemaOutOfDate
    from .config import Settings, open_store

    try:
        open_store(Settings.from_env()).close()
    except (SchemaOutOfDate, ValueError) as exc:   # ValueError: a setting, named in the message
        raise click.ClickException(str(exc)) from None


def _emit(text: str, output: Path | None, summary: str = "") -> None:
    """Write `text` atomically to `output`, or print it when there is none."""
    if output:
        write_atomic(output, text)
        click.echo(f"wrote {output}" + (f" {summary}" if summary else ""), err=True)
    else:
        click.echo(text, nl=False)


def _definition_in(path: Path, text: str):
    """The JSON of `text`, or, when it is not JSON, the JSON object embedded in it that is
    or holds a Studio definition (a JavaScript module, a README, a Terraform heredoc), or
    else one written as a plain JavaScript object (spec/studiotext.py), saying at which
    line it was read."""
    from .spec.studiotext import embedded_definition, literal_definition

    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        found, how = embedded_definition(text), "found"
        if found is None:
            found, how = literal_definition(text), "written as a JavaScript object"
        if found is None:
            raise click.ClickException(
                f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg} (nor does the file hold a Studio "
                "definition as JSON or as a plain JavaScript object: an object with states, built without "
                "variables or code)") from None
    click.echo(f"{path}:{found[1]}: not JSON; read the Studio definition {how} at line {found[1]} "
               "(the rest of the file is ignored)", err=True)
    return found[0]


def _read_json(path: Path):
    """A Studio definition file: refused, saying where, when it is not UTF-8 JSON (nor
    holds a definition: _definition_in), too big, nested deeper than a flow may be, or
    holds a NUL character."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise click.ClickException(f"{path}: {path.stat().st_size:,} bytes; at most {MAX_FILE_BYTES:,}")
        data = _definition_in(path, path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except RecursionError:
        raise click.ClickException(f"{path}: nested deeper than a flow definition can be") from None
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot read it: {exc.strerror}") from None
    deep = too_deep(data, MAX_DEPTH)
    if deep is not None:
        raise click.ClickException(f"{path}: nested deeper than {MAX_DEPTH} levels (at {dotted(deep)[:200]})")
    nul = nul_path(data)
    if nul is not None:
        raise click.ClickException(f"{path}: {dotted(nul)} holds a NUL character")
    return data


# ---------------------------------------------------------------- flowstudio twilio (twilio_sync.py)


@main.group()
def twilio() -> None:
    """Keep the flows folder and a Twilio Studio account in step: status, pull, push."""


def _studio_options(command):
    """The options every `flowstudio twilio` command takes."""
    for option in reversed([
        click.option("--flows", "flows_dir", default="flows", show_default=True,
                     type=click.Path(file_okay=False, path_type=Path), help="The flows folder."),
        click.option("--account-sid", envvar="TWILIO_ACCOUNT_SID", help="The Studio account [TWILIO_ACCOUNT_SID]."),
        click.option("--auth-token", envvar="TWILIO_AUTH_TOKEN", help="Its auth token [TWILIO_AUTH_TOKEN]."),
        click.option("--api-key", envvar="TWILIO_API_KEY",
                     help="An API key (SK…) of the account, instead of the auth token [TWILIO_API_KEY]."),
        click.option("--api-secret", envvar="TWILIO_API_SECRET", help="The API key's secret [TWILIO_API_SECRET]."),
        click.option("--studio-url", envvar="FLOWSTUDIO_TWILIO_STUDIO_URL",
                     help="Studio's address, if not https://studio.twilio.com (another FlowStudio's /v2 API "
                          "answers the same) [FLOWSTUDIO_TWILIO_STUDIO_URL]."),
    ]):
        command = option(command)
    return command


def _sync_session(flows_dir: Path, account_sid, auth_token, studio_url, api_key=None, api_secret=None):
    from .twilio_sync import Folder, Studio, SyncError

    try:
        return Folder(flows_dir), Studio(account_sid, auth_token, studio_url, api_key, api_secret)
    except SyncError as exc:
        raise click.ClickException(str(exc)) from None


@twilio.command("status")
@_studio_options
def twilio_status(flows_dir: Path, account_sid, auth_token, api_key, api_secret, studio_url) -> None:
    """Each flow here and in Studio: in sync, changed here (ahead), changed in Studio (behind),
    or on one side only."""
    from .twilio_sync import CHANGED_HERE, CHANGED_THERE, IN_SYNC, SyncError, compare

    folder, studio = _sync_session(flows_dir, account_sid, auth_token, studio_url, api_key, api_secret)
    try:
        rows = compare(folder, studio)
    except SyncError as exc:
        raise click.ClickException(str(exc)) from None
    for row in rows:
        where = f"{row.flow_id}.yaml" if row.flow_id else "-"
        click.echo(f"{row.state:<26} {where:<40} {row.sid or '-':<34} {row.name or ''}"
                   + (f"  ({row.note})" if row.note else ""))
    count = {state: sum(r.state == state for r in rows) for state in (IN_SYNC, CHANGED_HERE, CHANGED_THERE)}
    others = len(rows) - sum(count.values())
    click.echo(f"{len(rows)} flow{'s' if len(rows) != 1 else ''}: {count[IN_SYNC]} in sync (equal), "
               f"{count[CHANGED_HERE]} changed here (ahead of Studio), {count[CHANGED_THERE]} changed in Studio "
               f"(behind it)" + (f", {others} other" if others else ""), err=True)


def _sync(action, session: tuple, names, force, **options) -> None:
    from .twilio_sync import SyncError

    folder, studio = _sync_session(*session)
    try:
        done, refused = action(folder, studio, set(names) or None, force, **options)
    except SyncError as exc:
        raise click.ClickException(str(exc)) from None
    for line in done:
        click.echo(line)
    for line in refused:
        click.echo(f"not done: {line}", err=True)
    click.echo(f"{len(done)} {'shown' if options.get('dry_run') else 'done'}, {len(refused)} not done", err=True)
    sys.exit(1 if refused else 0)


@twilio.command("pull")
@_studio_options
@click.argument("names", nargs=-1)
@click.option("--force", is_flag=True, help="Take Studio's version even of flows changed here.")
def twilio_pull(flows_dir, account_sid, auth_token, api_key, api_secret, studio_url, names, force) -> None:
    """Write Studio's published flows (all, or those given by Studio name, SID or flow id) into
    the flows folder."""
    from .twilio_sync import pull

    _sync(pull, (flows_dir, account_sid, auth_token, studio_url, api_key, api_secret), names, force)


@twilio.command("push")
@_studio_options
@click.argument("names", nargs=-1)
@click.option("--force", is_flag=True, help="Replace Studio's version even of flows changed in Studio.")
@click.option("--draft", is_flag=True, help="Send them as drafts (Status=draft): saved in Studio, not published.")
@click.option("-m", "--message", default=None,
              help="The commit message of the new revisions [default: the last git commit's subject].")
@click.option("--dry-run", is_flag=True, help="Show, per flow, the diff of what would change in Studio; send nothing.")
def twilio_push(flows_dir, account_sid, auth_token, api_key, api_secret, studio_url, names, force, draft, message,
                dry_run) -> None:
    """Publish the folder's flows (all, or those given by flow id, name or SID) to Studio; new ones are
    created there and their SIDs written into their files. Each flow must validate and
    its flow tests pass first, else nothing is sent."""
    from .twilio_sync import last_commit_subject, push

    if message is None:
        message = last_commit_subject(flows_dir)
    _sync(push, (flows_dir, account_sid, auth_token, studio_url, api_key, api_secret), names, force, draft=draft,
          message=message, dry_run=dry_run)


if __name__ == "__main__":  # pragma: no cover
    main()
