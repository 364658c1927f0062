"""The edge routes: the bundle for devices, and the browser page that runs it.

`GET /edge/manifest` and `GET /edge/model` carry strong ETags (a sha256) and answer 304 to
a matching `If-None-Match`, so a device downloads the model only when its version changed;
the model's sha256 also travels in `X-Bundle-Sha256` for clients that verify before they
store. `/edge/` is the browser page; `/edge/runtime/` serves onnxruntime-web's files from
the local npm install (never a CDN), with the MIME types its loader insists on.
"""

from collections.abc import Callable
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.responses import FileResponse, RedirectResponse
from prometheus_client import CollectorRegistry, Counter

from app.edge.distribution import BundleSlot, DistributedBundle
from app.http.errors import documented_errors

# onnxruntime-web's single-threaded SIMD build: this loader, its module and its wasm (14 MB;
# ort.min.js would pull a 28 MB one). `.mjs` must be JavaScript or the browser refuses it.
RUNTIME_FILES = {
    "ort.wasm.min.js": "text/javascript",
    "ort-wasm-simd-threaded.mjs": "text/javascript",
    "ort-wasm-simd-threaded.wasm": "application/wasm",
}
PAGE_FILES = {"index.html": "text/html", "edge.js": "text/javascript"}
# Devices must ask again every time (revalidate), but may keep their copy between asks.
REVALIDATE = "no-cache"
_ERRORS = documented_errors(
    {404: "No such file (run `npm ci` for the runtime)", 503: "The bundle is not loaded yet"}
)


def build_edge_router(
    slot: BundleSlot, web_dir: Path, runtime_dir: Path, registry: CollectorRegistry
) -> APIRouter:
    """The /edge routes over the loaded bundle and the page's folders; their answers are
    counted in `registry` (how many devices downloaded, how many were already current)."""
    router = APIRouter(prefix="/edge", tags=["edge"], responses=_ERRORS)
    answers = Counter(
        "predictor_edge_bundle_answers",
        "Answers of /edge/manifest and /edge/model: sent (200) or not_modified (304).",
        ["file", "outcome"],
        registry=registry,
    )
    _add_bundle_routes(router, lambda: _loaded(slot), answers)
    _add_page_routes(router, web_dir, runtime_dir)
    return router


def _add_bundle_routes(
    router: APIRouter, bundle: Callable[[], DistributedBundle], answers: Counter
) -> None:
    @router.get("/manifest", summary="The current bundle's manifest (version, sha256, accuracy)")
    async def manifest(request: Request) -> Response:
        current = bundle()
        answer = _conditional(request, current.manifest_bytes, current.manifest_etag, {}, "json")
        answers.labels("manifest", _outcome(answer)).inc()
        return answer

    @router.get("/model", summary="The current bundle's model file (ORT format)")
    async def model(request: Request) -> Response:
        current = bundle()
        headers = {
            "X-Bundle-Sha256": current.manifest.model.sha256,
            "X-Bundle-Version": current.manifest.version,
            "Content-Disposition": f'attachment; filename="{current.manifest.model.file}"',
        }
        answer = _conditional(request, current.model_bytes, current.model_etag, headers, "binary")
        answers.labels("model", _outcome(answer)).inc()
        return answer


def _add_page_routes(router: APIRouter, web_dir: Path, runtime_dir: Path) -> None:
    @router.get("", include_in_schema=False)
    async def page_root() -> RedirectResponse:
        return RedirectResponse("/edge/", status_code=status.HTTP_308_PERMANENT_REDIRECT)

    @router.get("/", summary="The browser page: predicts in the browser with onnxruntime-web")
    async def page() -> FileResponse:
        return _file(
            web_dir, "index.html", PAGE_FILES, "the page's folder (PREDICTOR_EDGE_WEB_DIR)"
        )

    @router.get("/app/{name}", summary="The page's script")
    async def page_file(name: str) -> FileResponse:
        return _file(web_dir, name, PAGE_FILES, "the page's folder (PREDICTOR_EDGE_WEB_DIR)")

    @router.get("/runtime/{name}", summary="onnxruntime-web, from the local npm install")
    async def runtime_file(name: str) -> FileResponse:
        return _file(runtime_dir, name, RUNTIME_FILES, "node_modules (run `npm ci`)")


def _loaded(slot: BundleSlot) -> DistributedBundle:
    if slot.bundle is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "the device bundle is not loaded yet"
        )
    return slot.bundle


def _conditional(
    request: Request, body: bytes, etag: str, headers: dict[str, str], kind: str
) -> Response:
    """`body` with its ETag, or an empty 304 when the client already holds that version."""
    headers = {**headers, "ETag": etag, "Cache-Control": REVALIDATE}
    tags = _tags(request.headers.get("if-none-match", ""))
    if etag in tags or "*" in tags:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    media_type = "application/json" if kind == "json" else "application/octet-stream"
    return Response(body, media_type=media_type, headers=headers)


def _outcome(answer: Response) -> str:
    return "not_modified" if answer.status_code == status.HTTP_304_NOT_MODIFIED else "sent"


def _tags(if_none_match: str) -> set[str]:
    """The entity tags an If-None-Match lists; weak ones compare equal to strong (RFC 9110)."""
    return {tag.strip().removeprefix("W/") for tag in if_none_match.split(",") if tag.strip()}


def _file(folder: Path, name: str, served: dict[str, str], where: str) -> FileResponse:
    # Only the listed names are served: a request can never name a path of its own.
    if name not in served:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no file {name!r} here")
    path = folder / name
    if not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{name} is missing from {where}")
    return FileResponse(path, media_type=served[name], headers={"Cache-Control": REVALIDATE})
