"""Consents: the patient's consents and health forms, one module per job. Callers import the
module they need (`from ..services.consents import signing`); nothing is re-exported here.

- documents: documents and versions (drafts, publish, retire, history, admin lists) and who a
  document in use applies to;
- defaults: the two default documents, made once by services/setup.install_defaults;
- blocks: the text as blocks to draw, and the digest of what a signer agrees to;
- fields: a health form's questions, and reading and showing the answers;
- signing: typed and paper signatures with the stored, sealed PDF;
- gate: what a patient still owes, current signatures, expiry and renewal reminders;
- forms: health forms offered to a patient, drafts, review and assignment;
- verification: a signature found by its code, an uploaded PDF checked, the public answer;
- reports: staff lists and counts, the stored PDF or scan of a signature;
- batch: the batch print of the consents signed on some days, for the paper charts;
- seal, seal_keys, seal_signer: the practice's seal on a PDF and its check, the key and
  certificates, the prepared signer.
"""
