"""GET /fhir/$bulk-publish (the manifest) and the three NDJSON files it names, for slot discovery clients."""

from flask import Blueprint, Response, current_app, jsonify, request, url_for

from booking.fhir.publish import current_publication, ndjson

bp = Blueprint("fhir", __name__, url_prefix="/fhir")

FILES = {"Location": "locations", "Schedule": "schedules", "Slot": "slots"}
NDJSON = "application/fhir+ndjson"


@bp.get("/$bulk-publish")
def bulk_publish():
    """The manifest: when the data set was made, and where each file is."""
    version, publication = current_publication()
    if _unchanged(version):
        return _not_modified(version)
    base = current_app.config["PUBLIC_BASE_URL"]
    manifest = {
        "transactionTime": publication.made_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "request": base + url_for(".bulk_publish"),
        "output": [{"type": kind, "url": base + url_for(".published_file", kind=kind)} for kind in FILES],
        "error": [],
    }
    response = jsonify(manifest)
    return _cacheable(response, version)


@bp.get("/<any(Location, Schedule, Slot):kind>.ndjson")
def published_file(kind: str):
    version, publication = current_publication()
    if _unchanged(version):
        return _not_modified(version)
    response = Response(ndjson(getattr(publication, FILES[kind])), mimetype=NDJSON)
    return _cacheable(response, version)


def _unchanged(version: str) -> bool:
    return version in request.if_none_match


def _not_modified(version: str) -> Response:
    return _cacheable(Response(status=304), version)


def _cacheable(response: Response, version: str) -> Response:
    """Shared caches may keep it, but must ask again each time: a booking makes it old at once."""
    response.set_etag(version)
    response.headers["Cache-Control"] = "public, no-cache"
    return response
