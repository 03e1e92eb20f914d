"""Proxy access (issue 22): people other than the patient who may act for them, one module
per job. Callers import the module they need; nothing is re-exported here.

- guardians: a minor's parents and guardians as staff record them, and the chart's list;
- changes: ending, pausing, limiting and continuing past 18 a grant that is current;
- blocks: the chart's "do not grant access to NAME" entries;
- ending: when a guardian's access ends (the 18th birthday, a court order's review date);
- confidential: record items and conversations marked confidential from every guardian.
"""
