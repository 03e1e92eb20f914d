"""The consents' addresses from before they moved to /consents and /admin/consents: emailed and
bookmarked links redirect permanently to the same page.

The admin's old addresses are kept here too, not on the admin blueprint: every admin route
carries the staff guard, and a redirect shows nothing (the page it leads to is guarded)."""

from ...web.routing import keep_old_url
from . import bp

keep_old_url(bp, "/documents", "consents.index")
keep_old_url(bp, "/documents/<int:document_id>/sign", "consents.sign")
keep_old_url(bp, "/forms/<int:document_id>", "consents.fill_in")
keep_old_url(bp, "/documents/signed/<int:signature_id>.pdf", "consents.signed_pdf")

keep_old_url(bp, "/admin/documents", "admin.document_list")
keep_old_url(bp, "/admin/documents/new", "admin.new_document")
keep_old_url(bp, "/admin/documents/<int:document_id>", "admin.document")
keep_old_url(bp, "/admin/documents/<int:document_id>/retire", "admin.retire_document")
keep_old_url(bp, "/admin/documents/<int:document_id>/draft", "admin.document_draft")
keep_old_url(bp, "/admin/documents/<int:document_id>/draft/fields/new", "admin.new_document_field")
keep_old_url(bp, "/admin/documents/<int:document_id>/draft/fields/<name>",
             "admin.edit_document_field")
