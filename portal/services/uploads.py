"""Files people upload (message attachments, published record documents), checked the same way
everywhere: the type is read from the file's first bytes, never from its name or the type the
browser declared, and images are saved again so no metadata (location, camera, date) survives.
Nothing is decoded before its size is known (an image's width and height, read from its
header), and PDFs are written again without scripts, actions and embedded files.
"""

import io
import warnings

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


# --- Uploads that cannot exhaust the server ------------------------------------------------

MAX_IMAGE_PIXELS = 40_000_000  # width x height of an uploaded image, read before decoding

# Action types that run something or reach outside the document: dropped wherever they are.
UNSAFE_ACTIONS = frozenset({"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/GoToE",
                            "/GoToR", "/Rendition", "/RichMediaExecute", "/Movie", "/Sound"})
# Keys that hold actions run on events, JavaScript, embedded files, or forms' scripts.
UNSAFE_KEYS = ("/OpenAction", "/AA", "/JS", "/JavaScript", "/EmbeddedFiles", "/EF", "/AF",
               "/XFA", "/Collection", "/RichMediaContent")
UNSAFE_ANNOTATIONS = frozenset({"/FileAttachment", "/Movie", "/Sound", "/Screen", "/RichMedia",
                                "/3D"})


class FileRefused(Exception):
    """An upload the portal will not store. `reason` says why, for the caller's message:
    "too_large" (an image over MAX_IMAGE_PIXELS, or a decompression bomb), "unreadable_image",
    "unreadable_pdf"."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def clean_upload(data, content_type):
    """The bytes to store for an upload of `content_type` (read by kind_of): an image
    re-encoded without metadata (strip_image), a PDF without scripts, actions and embedded
    files (strip_pdf), anything else unchanged. Raises FileRefused."""
    if content_type.startswith("image/"):
        return strip_image(data, content_type)
    if content_type == "application/pdf":
        return strip_pdf(data)
    return data


def strip_image(data, content_type):
    """The image re-encoded, so no EXIF (location, camera, date) or other metadata survives.

    Its width and height are read from the header before anything is decoded: over
    MAX_IMAGE_PIXELS, or what Pillow calls a decompression bomb, it is refused (FileRefused
    "too_large") without decoding a pixel. Bytes that do not decode: "unreadable_image".
    """
    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:  # reads the header only
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise FileRefused("too_large")
                image.load()
                image = ImageOps.exif_transpose(image)  # keep the way it was shown
                out = io.BytesIO()
                if content_type == "image/jpeg":
                    image.convert("RGB").save(out, "JPEG", quality=90)
                elif content_type == "image/png":
                    image.save(out, "PNG")
                else:
                    image.save(out, "GIF")
    except FileRefused:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise FileRefused("too_large") from None
    except Exception:  # noqa: BLE001 - any decoding failure means a broken image
        raise FileRefused("unreadable_image") from None
    return out.getvalue()


def strip_pdf(data):
    """The PDF written again by pikepdf without what could run or hide something: JavaScript,
    the open action, additional actions (/AA), launch and other outward actions, embedded and
    associated files, XFA forms, file-attachment and media annotations. Pages, text, images,
    links inside the document and bookmarks stay, so it still reads the same. A PDF pikepdf
    cannot open (broken, or locked with a password) is refused: FileRefused "unreadable_pdf".
    """
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            _drop_unsafe(pdf.Root)
            out = io.BytesIO()
            # Only what the document still reaches is written: the dropped scripts and files
            # are gone from the bytes, not merely unlinked. Encryption is removed. Streams are
            # copied as they are, never inflated: a compressed bomb stays 10 MB.
            pdf.save(out, linearize=False, compress_streams=False, deterministic_id=True,
                     stream_decode_level=pikepdf.StreamDecodeLevel.none)
    except Exception:  # noqa: BLE001 - pikepdf raises several kinds on a damaged file
        raise FileRefused("unreadable_pdf") from None
    return out.getvalue()


def _is_unsafe(value, pikepdf):
    """Whether a PDF object is an action that runs something, or an annotation that carries
    a file or media."""
    if not isinstance(value, pikepdf.Dictionary):
        return False
    kind, subtype = value.get("/S"), value.get("/Subtype")
    return (isinstance(kind, pikepdf.Name) and str(kind) in UNSAFE_ACTIONS) or (
        isinstance(subtype, pikepdf.Name) and str(subtype) in UNSAFE_ANNOTATIONS
        and "/Rect" in value)


def _drop_unsafe(root):
    """Walk everything `root` reaches (each indirect object once, without recursion, so a
    deep or looping file cannot exhaust the stack) and cut the unsafe parts out."""
    import pikepdf

    seen, stack = set(), [root]
    while stack:
        item = stack.pop()
        if item.is_indirect:
            if item.objgen in seen:
                continue
            seen.add(item.objgen)
        if isinstance(item, pikepdf.Dictionary | pikepdf.Stream):
            for key in UNSAFE_KEYS:
                if key in item:
                    del item[key]
            for key in list(item.keys()):
                if key == "/Parent":
                    continue  # the page tree is walked from its root
                value = item[key]
                if _is_unsafe(value, pikepdf):
                    del item[key]
                elif isinstance(value, pikepdf.Dictionary | pikepdf.Array | pikepdf.Stream):
                    stack.append(value)
        elif isinstance(item, pikepdf.Array):
            for index in reversed(range(len(item))):
                value = item[index]
                if _is_unsafe(value, pikepdf):
                    del item[index]
                elif isinstance(value, pikepdf.Dictionary | pikepdf.Array | pikepdf.Stream):
                    stack.append(value)
