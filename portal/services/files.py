"""Files people upload (message attachments, published record documents), checked the same way
everywhere: the type is read from the file's first bytes, never from its name or the type the
browser declared, and images are saved again so no metadata (location, camera, date) survives.
"""

import io

# ending: (content type, the first bytes a file of that type starts with)
FILE_KINDS = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "gif": ("image/gif", (b"GIF87a", b"GIF89a")),
}
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png", "image/gif": "gif"}


def kind_of(data, endings=FILE_KINDS):
    """The content type `data` is, among `endings` (a subset of FILE_KINDS), else None."""
    return next((kind for kind, magics in (FILE_KINDS[ending] for ending in endings)
                 if data.startswith(magics)), None)


def strip_image(data, content_type):
    """The image re-encoded, so no EXIF (location, camera, date) or other metadata survives.
    Raises on bytes that do not decode as an image."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as image:
        image.load()
        image = ImageOps.exif_transpose(image)  # keep the way it was shown
        out = io.BytesIO()
        if content_type == "image/jpeg":
            image.convert("RGB").save(out, "JPEG", quality=90)
        elif content_type == "image/png":
            image.save(out, "PNG")
        else:
            image.save(out, "GIF")
    return out.getvalue()
