"""Secure messages between a patient and the care team, one module per job:

- `limits`: what a message may hold (the lengths) and MessageError, the refusal every
  module raises;
- `topics`: the topics a patient writes about, the default ones, a topic's own questions,
  business days and reply-due times;
- `attachments`: checking files against the practice's policy, storing them, serving them;
- `conversations`: the writes (start, reply, note, assign, move, close, archive, read marks,
  submission keys) and the email that tells a patient a message waits;
- `inbox`: the lists (the patient's inbox, sent list and conversation, the staff queue with
  its filters and counts, the chart's conversations), each read put on the audit trail;
- `thread`: a conversation's messages as its page shows them, and that read's audit row;
- `admin`: the practice admin's side: saved replies and editing topics.

Callers import the module they need: `from ..services.messages import conversations`.
"""
