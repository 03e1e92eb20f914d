"""The text of a consent or health form: simple formatting drawn as blocks, and the digest of
exactly what a signer agrees to."""

import hashlib
import json


def body_blocks(body):
    """The body as blocks to draw: ("h2"|"h3", text), ("p", text) or ("ul", [items]).

    "## " and "### " start headings ("# " is a second-level heading too: the page's own title
    is the first), "- " or "* " start list items, and a blank line ends a paragraph. Nothing
    else is markup, so no text can inject HTML: templates escape every block.
    """
    blocks, paragraph, items = [], [], []

    def close():
        if paragraph:
            blocks.append(("p", " ".join(paragraph)))
            paragraph.clear()
        if items:
            blocks.append(("ul", list(items)))
            items.clear()

    for raw in (body or "").replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            close()
        elif line.startswith("### "):
            close()
            blocks.append(("h3", line[4:].strip()))
        elif line.startswith(("# ", "## ")):
            close()
            blocks.append(("h2", line.split(" ", 1)[1].strip()))
        elif line.startswith(("- ", "* ")):
            if paragraph:
                close()
            items.append(line[2:].strip())
        elif items:  # a wrapped list item
            items[-1] = f"{items[-1]} {line}"
        else:
            paragraph.append(line)
    close()
    return blocks


def content_digest(version):
    """SHA-256 of what a signer agrees to: title, body, terms, attestations and fields."""
    content = {
        "title": version.title, "body": version.body.replace("\r\n", "\n"),
        "required": version.required, "signers": version.signers,
        "validity_months": version.validity_months,
        "attestations": list(version.attestations or []), "fields": list(version.fields or []),
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
