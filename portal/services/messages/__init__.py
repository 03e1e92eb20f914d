"""Secure messages between a patient and the care team, one module per job:

- `limits`: what a message may hold (the lengths) and MessageError, the refusal every
  module raises;
- `topics`: the topics a patient writes about, the default ones, a topic's own questions,
  business days and reply-due times;
- `attachments`: checking files against the practice's policy, storing them, serving them;
- `conversations`: the writes (start, reply, note, assign, move, close, archive, read marks,
  submission keys) and the email that tells a patient a message waits;
- `inbox`: the reads (the patient's inbox, sent list and conversation, the staff queue with
  its filters and counts, the chart's conversations) and putting reads on the audit trail;
- `admin`: the practice admin's side: saved replies and editing topics.

Callers import the module they need: `from ..services.messages import conversations`.
"""
