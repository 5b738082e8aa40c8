"""File downloads (a spreadsheet, a CSV): the file's own type, or application/octet-stream for a
client that asks for that (generated clients model downloads as octet-stream bytes)."""

from fastapi import Request, Response

OCTET_STREAM = "application/octet-stream"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(request: Request, content: bytes, media_type: str, filename: str) -> Response:
    """The file as an attachment, typed as the client's Accept header prefers."""
    accept = request.headers.get("accept", "")
    own_type = media_type.split(";")[0].strip()
    wanted = OCTET_STREAM if OCTET_STREAM in accept and own_type not in accept else media_type
    return Response(
        content,
        media_type=wanted,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
