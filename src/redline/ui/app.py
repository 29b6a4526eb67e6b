"""The dashboard: a FastAPI app of server-rendered pages over a runs directory.

Read-only unless built with ``allow_writes`` (then runs can be deleted and
renamed, and annotation queues created and labelled). With an ``auth_token``
every request must carry it: ``Authorization: Bearer TOKEN``, or the cookie a
first visit to ``/?token=TOKEN`` sets.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape

from redline.analysis import compare_runs
from redline.annotation import (
    AnnotationStore,
    check_annotator,
    disagreement_queue,
    export_rows,
    final_labels,
    pairwise_queue,
    queue_agreement,
    stratified_queue,
    to_jsonl,
)
from redline.core import ConfigError, RedlineError
from redline.data.taxonomy import category_label
from redline.ui.catalog import RunCatalog, RunEntry
from redline.ui.guard_files import guard_files, read_guard_file
from redline.ui.history import suite_histories
from redline.ui.run_index import PAGE_SIZE, IndexCache, TranscriptQuery

TOKEN_COOKIE = "redline_ui_token"
# Outcomes that are bad news for safety: what "flipped" compares.
BAD_OUTCOMES = {"attack_success", "over_refusal"}


@dataclass
class UiSettings:
    """How the dashboard was started."""

    runs_dir: Path
    cache_dir: Path
    allow_writes: bool = False
    auth_token: str | None = None
    guard_files: list[Path] = field(default_factory=list)


class NotFound(Exception):
    """A page for something that does not exist: answered with the 404 page."""


class WritesDisabled(Exception):
    """A change asked of a read-only dashboard."""


def _pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def _interval(data: dict[str, Any] | None) -> str:
    if not data or data.get("estimate") is None:
        return "n/a"
    return f"{_pct(data['estimate'])} [{_pct(data['low'])}, {_pct(data['high'])}]"


LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def _host_name(value: str) -> str:
    """``example.org`` from ``example.org:8777``, ``[::1]`` from ``[::1]:8777``."""
    if value.startswith("["):
        return value.split("]", 1)[0] + "]"
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def _cross_site_refusal(request: Request, *, loopback_only: bool) -> str | None:
    """Why a request must be refused as coming from another site, or None.

    Without a token the app answers loopback only, so any other ``Host`` is a
    DNS-rebinding page reading local data; and a change (POST) whose ``Origin``
    is not this server is another site's form trying to delete or label.
    """
    host = request.headers.get("host", "")
    if loopback_only and _host_name(host) not in LOOPBACK_HOSTS:
        return f"Host {host!r} is not this machine's loopback address."
    origin = request.headers.get("origin")
    changes = request.method not in ("GET", "HEAD", "OPTIONS")
    if changes and origin is not None and origin.split("://", 1)[-1] != host:
        return f"A change sent from {origin!r}, not from this dashboard, was refused."
    return None


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("redline.ui", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = _pct
    env.filters["interval"] = _interval
    env.filters["category"] = category_label
    env.filters["tojson_pretty"] = lambda v: json.dumps(v, indent=2, ensure_ascii=False)
    return env


def create_app(settings: UiSettings) -> FastAPI:
    """Build the dashboard app over ``settings.runs_dir``."""
    env = _environment()
    indexes = IndexCache(settings.cache_dir)
    catalog = RunCatalog(settings.runs_dir, indexes)
    annotations = AnnotationStore(settings.runs_dir)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        indexes.close()

    app = FastAPI(
        title="redline ui", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    app.mount(
        "/static",
        StaticFiles(packages=[("redline.ui", "static")]),
        name="static",
    )
    app.state.settings = settings
    app.state.indexes = indexes

    def page(
        request: Request, template: str, http_status: int = 200, **context: Any
    ) -> HTMLResponse:
        html = env.get_template(template).render(
            request=request, allow_writes=settings.allow_writes, **context
        )
        return HTMLResponse(html, status_code=http_status)

    def run_or_404(run_id: str) -> RunEntry:
        entry = catalog.open(run_id)
        if entry is None:
            raise NotFound(f"no run {run_id!r} in {catalog.root}")
        return entry

    def require_writes() -> None:
        if not settings.allow_writes:
            raise WritesDisabled()

    @app.middleware("http")
    async def check_token(request: Request, call_next: Any) -> Response:
        refusal = _cross_site_refusal(request, loopback_only=settings.auth_token is None)
        if refusal is not None:
            return HTMLResponse(
                f"<!doctype html><title>redline ui</title><p>{refusal}", status_code=403
            )
        token = settings.auth_token
        if token is None:
            passed: Response = await call_next(request)
            return passed
        given = request.cookies.get(TOKEN_COOKIE) or request.query_params.get("token") or ""
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            given = header[7:]
        if not hmac.compare_digest(given.encode(), token.encode()):
            return HTMLResponse(
                "<!doctype html><title>redline ui</title><p>This dashboard needs its token: "
                "open it with ?token=... (the value of the --auth-token-env variable).",
                status_code=401,
            )
        response: Response = await call_next(request)
        if request.query_params.get("token"):
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        return response

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> HTMLResponse:
        return page(request, "not_found.html.j2", http_status=404, message=str(exc))

    @app.exception_handler(WritesDisabled)
    async def read_only(request: Request, exc: WritesDisabled) -> HTMLResponse:
        return page(
            request,
            "not_found.html.j2",
            http_status=403,
            message="This dashboard is read-only: start it with `redline ui --allow-writes` "
            "to change runs or label.",
        )

    @app.exception_handler(RedlineError)
    async def bad_input(request: Request, exc: RedlineError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": str(exc)}, status_code=400)
        return page(request, "not_found.html.j2", http_status=400, message=str(exc))

    # --- runs -------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    def runs_list(
        request: Request, q: str = "", status: str = "", target: str = "", kind: str = ""
    ) -> HTMLResponse:
        entries = catalog.entries()
        targets = sorted({e.target for e in entries if e.target})
        statuses = sorted({e.info.status for e in entries if e.info})
        kinds = sorted({e.kind for e in entries if e.kind})
        shown = [
            e
            for e in entries
            if (not q or e.matches(q))
            and (not status or (e.info is not None and e.info.status == status))
            and (not target or e.target == target)
            and (not kind or e.kind == kind)
        ]
        return page(
            request,
            "runs.html.j2",
            entries=shown,
            total=len(entries),
            q=q,
            status=status,
            target=target,
            kind=kind,
            targets=targets,
            statuses=statuses,
            kinds=kinds,
        )

    @app.post("/runs/{run_id}/delete")
    def delete_run(run_id: str, confirm: str = Form("")) -> Response:
        require_writes()
        run_or_404(run_id)
        if confirm != run_id:
            raise ConfigError(f"to delete run {run_id}, type its id to confirm")
        catalog.delete(run_id)
        return RedirectResponse("/", status_code=303)

    @app.post("/runs/{run_id}/rename")
    def rename_run(run_id: str, name: str = Form("")) -> Response:
        require_writes()
        run_or_404(run_id)
        catalog.rename(run_id, name)
        return RedirectResponse(f"/runs/{run_id}", status_code=303)

    @app.get("/runs/{run_id}", response_class=HTMLResponse)
    def run_page(
        request: Request,
        run_id: str,
        category: str = "",
        attack: str = "",
        label: str = "",
        outcome: str = "",
        error: str = "",
        disagree: str = "",
        q: str = "",
        page_number: int = 1,
    ) -> HTMLResponse:
        entry = run_or_404(run_id)
        if entry.index is None:
            return page(request, "run_problem.html.j2", entry=entry)
        query = TranscriptQuery(
            category=category or None,
            attack=attack or None,
            label=label or None,
            outcome=outcome or None,
            error=error or None,
            disagree=bool(disagree),
            text=q or None,
            page=max(1, page_number),
        )
        total, rows = entry.index.page(query)
        params = {
            k: v
            for k, v in dict(
                category=category, attack=attack, label=label, outcome=outcome,
                error=error, disagree=disagree, q=q,
            ).items()
            if v
        }  # fmt: skip
        pages = max(1, -(-total // PAGE_SIZE))
        return page(
            request,
            "run.html.j2",
            entry=entry,
            summary=entry.index.summary,
            charts=entry.index.charts,
            facets=entry.index.facets,
            rows=rows,
            total=total,
            filters=params,
            page_number=query.page,
            pages=pages,
            page_link=lambda n: f"/runs/{run_id}?" + urlencode({**params, "page_number": n}),
        )

    @app.get("/runs/{run_id}/t/{attempt_id}", response_class=HTMLResponse)
    def transcript_page(request: Request, run_id: str, attempt_id: str) -> HTMLResponse:
        entry = run_or_404(run_id)
        if entry.index is None:
            return page(request, "run_problem.html.j2", entry=entry)
        record = entry.index.record(attempt_id)
        if record is None:
            raise NotFound(f"run {run_id} has no attempt {attempt_id!r}")
        attempt = record["attempt"]
        return page(
            request,
            "transcript.html.j2",
            entry=entry,
            record=record,
            attempt=attempt,
            siblings=entry.index.siblings(attempt["behavior_id"], attempt_id),
            guard=guard_verdicts(attempt),
        )

    guard_cache: dict[str, Any] = {}

    def guard_verdicts(attempt: dict[str, Any]) -> dict[str, Any]:
        """The default guard's verdicts on the attempt's input and its response."""
        from redline.core import Message
        from redline.guard import Guard

        if "guard" not in guard_cache:
            guard_cache["guard"] = Guard.default()
        guard = guard_cache["guard"]
        messages = [Message.model_validate(m) for m in attempt["messages"]]
        verdicts = {"input": guard.check_input(messages)}
        if attempt.get("response"):
            verdicts["output"] = guard.check_output(messages, attempt["response"])
        return verdicts

    # --- compare ------------------------------------------------------------------

    @app.get("/compare", response_class=HTMLResponse)
    def compare_page(
        request: Request, a: str = "", b: str = "", scorer: str = "refusal"
    ) -> HTMLResponse:
        entries = [e for e in catalog.entries() if e.index is not None]
        if not a or not b:
            return page(request, "compare.html.j2", entries=entries, a=a, b=b, scorer=scorer,
                        comparison=None, flips=[])  # fmt: skip
        run_a, run_b = run_or_404(a), run_or_404(b)
        if run_a.handle is None or run_b.handle is None or not run_a.index or not run_b.index:
            raise ConfigError("both runs must be readable to compare them")
        comparison = compare_runs(run_a.handle, run_b.handle, scorer=scorer)
        outcomes_a, outcomes_b = run_a.index.outcomes(), run_b.index.outcomes()
        flips = []
        for key, (id_a, out_a, prompt) in sorted(outcomes_a.items()):
            other = outcomes_b.get(key)
            if other is None or "error" in (out_a, other[1]) or "unscored" in (out_a, other[1]):
                continue
            if (out_a in BAD_OUTCOMES) != (other[1] in BAD_OUTCOMES):
                flips.append(
                    {"behavior": key[0], "attack": key[1], "epoch": key[2], "prompt": prompt,
                     "a": (id_a, out_a), "b": (other[0], other[1]),
                     "worse": other[1] in BAD_OUTCOMES}
                )  # fmt: skip
        return page(
            request, "compare.html.j2", entries=entries, a=a, b=b, scorer=scorer,
            comparison=comparison.model_dump(mode="json"), flips=flips,
        )  # fmt: skip

    # --- guard and regression suites ----------------------------------------------------

    @app.get("/guard", response_class=HTMLResponse)
    def guard_page(request: Request, file: int = -1, action: str = "", q: str = "") -> HTMLResponse:
        files = guard_files(settings.runs_dir, settings.guard_files)
        chosen = None
        rows: list[dict[str, Any]] = []
        if 0 <= file < len(files):
            chosen = read_guard_file(files[file])
            rows = [
                r
                for r in chosen.rows
                if (not action or r["action"] == action)
                and (not q or q.lower() in json.dumps(r, ensure_ascii=False).lower())
            ]
        elif file != -1:
            raise NotFound(f"no guard verdict file number {file}")
        return page(request, "guard.html.j2", files=files, file=file, chosen=chosen,
                    rows=rows[:500], matched=len(rows), action=action, q=q)  # fmt: skip

    @app.get("/regress", response_class=HTMLResponse)
    def regress_page(request: Request) -> HTMLResponse:
        entries = [catalog.entry(p, index=False) for p in catalog.directories()]
        return page(request, "regress.html.j2", histories=suite_histories(entries))

    # --- annotation -------------------------------------------------------------------

    @app.get("/annotate", response_class=HTMLResponse)
    def queues_page(request: Request) -> HTMLResponse:
        queues = []
        for queue_id in annotations.ids():
            files = annotations.open(queue_id)
            labels = files.labels()
            queues.append({"queue": files.queue, "labelled": len(labels),
                           "annotators": files.annotators()})  # fmt: skip
        runs = [e for e in catalog.entries() if e.index is not None]
        return page(request, "queues.html.j2", queues=queues, runs=runs)

    @app.post("/annotate")
    def create_queue(
        run: str = Form(""),
        kind: str = Form("stratified"),
        task: str = Form("refusal"),
        scorer: str = Form("refusal"),
        n: int = Form(200),
        other_run: str = Form(""),
        name: str = Form(""),
    ) -> Response:
        require_writes()
        entry = run_or_404(run)
        if entry.handle is None:
            raise ConfigError(f"run {run} is not readable: {entry.problem}")
        attempts, scores = entry.handle.read_attempts(), entry.handle.read_scores()
        queue_id = name.strip() or None
        if kind == "pairwise":
            other = run_or_404(other_run)
            if other.handle is None:
                raise ConfigError(f"run {other_run} is not readable: {other.problem}")
            queue = pairwise_queue(attempts, other.handle.read_attempts(), n=n, queue_id=queue_id)
        elif kind == "disagreements":
            queue = disagreement_queue(attempts, scores, task=task, queue_id=queue_id)
        else:
            queue = stratified_queue(attempts, scores, task=task, scorer=scorer, n=n,
                                     queue_id=queue_id)  # fmt: skip
        annotations.save(queue)
        return RedirectResponse(f"/annotate/{queue.id}", status_code=303)

    def queue_or_404(queue_id: str) -> Any:
        if queue_id not in annotations.ids():
            raise NotFound(f"no annotation queue {queue_id!r}")
        return annotations.open(queue_id)

    @app.get("/annotate/{queue_id}", response_class=HTMLResponse)
    def label_page(
        request: Request, queue_id: str, annotator: str = "", item: str = ""
    ) -> HTMLResponse:
        files = queue_or_404(queue_id)
        if not annotator:
            return page(request, "annotator.html.j2", files=files)
        annotator = check_annotator(annotator)
        item_id = item or files.next_item(annotator)
        labels = files.labels()
        done = sum(1 for by in labels.values() if annotator in by)
        current = files.queue.item(item_id) if item_id else None
        ids = [i.id for i in files.queue.items]
        position = ids.index(item_id) if item_id in ids else -1
        return page(
            request,
            "label.html.j2",
            files=files,
            task=files.task,
            annotator=annotator,
            item=current,
            given=labels.get(item_id or "", {}).get(annotator),
            done=done,
            previous=ids[position - 1] if position > 0 else None,
            following=ids[position + 1] if 0 <= position < len(ids) - 1 else None,
        )

    @app.post("/api/annotate/{queue_id}/label")
    async def label_api(request: Request, queue_id: str) -> JSONResponse:
        require_writes()
        files = queue_or_404(queue_id)
        body = await request.json()
        if not isinstance(body, dict):
            raise ConfigError("send a JSON object: item_id, annotator, label")
        record = files.add_label(
            item_id=str(body.get("item_id", "")),
            annotator=str(body.get("annotator", "")),
            label=str(body.get("label", "")),
        )
        following = files.next_item(record.annotator, after=record.item_id)
        query = {"annotator": record.annotator, **({"item": following} if following else {})}
        return JSONResponse(
            {"saved": record.model_dump(), "next": following,
             "next_url": f"/annotate/{queue_id}?" + urlencode(query)}
        )  # fmt: skip

    @app.get("/annotate/{queue_id}/agreement", response_class=HTMLResponse)
    def agreement_page(request: Request, queue_id: str) -> HTMLResponse:
        files = queue_or_404(queue_id)
        resolution = final_labels(files)
        labels = files.labels()
        items = {i.id: i for i in files.queue.items}
        disputed = [(items[i], labels.get(i, {})) for i in resolution.disputed]
        return page(
            request,
            "agreement.html.j2",
            files=files,
            agreement=queue_agreement(files),
            resolution=resolution,
            disputed=disputed,
        )

    @app.post("/annotate/{queue_id}/adjudicate")
    def adjudicate(
        queue_id: str, item_id: str = Form(""), label: str = Form(""), adjudicator: str = Form("")
    ) -> Response:
        require_writes()
        files = queue_or_404(queue_id)
        files.adjudicate(item_id=item_id, adjudicator=adjudicator, label=label)
        return RedirectResponse(f"/annotate/{queue_id}/agreement", status_code=303)

    @app.get("/annotate/{queue_id}/export")
    def export(queue_id: str, format: str = "labels", policy: str = "majority") -> Response:
        files = queue_or_404(queue_id)
        rows = export_rows(files, export_format=format, policy=policy)  # type: ignore[arg-type]
        return Response(
            to_jsonl(rows),
            media_type="application/x-ndjson",
            headers={"Content-Disposition": f'attachment; filename="{queue_id}-{format}.jsonl"'},
        )

    return app
