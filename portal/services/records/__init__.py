"""The health record, one module per job:

- categories: what each kind of entry holds (CATEGORIES), checking typed facts, wording them
- entries: publish, release, hold, retract; the patient's and the staff's reads
- staff: held results and the names staff pages show; staff reads on the audit trail
- pdfs: an entry's, a category's and the whole record's PDF
- export: the whole record as a ZIP; fhir: the same record as FHIR R4
- history: who opened the record, in plain words
- csv_import: many entries at once from a spreadsheet
- shares: a share of the record with another provider; share_opens: its opening in a browser
  and the download limits; share_handover: its link printed on a sheet or emailed
- corrections: a patient's request to correct an entry, and its outcome

Callers import the module they need (`from ..services.records import entries`).
"""
