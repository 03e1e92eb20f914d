"""Messages for make bench (issue 9), against the bench's throwaway database.

Usage: bench_messages.py seed N_PATIENTS N_MESSAGES
       bench_messages.py conversation-url
       bench_messages.py queries OUT.json [EARLIER.json]

seed: add fictional patients (each with a portal account) and conversations until the
   database holds N_PATIENTS charts and N_MESSAGES messages. Bulk inserts (SQLAlchemy Core,
   lists of dicts, one transaction per batch), so 100,000 messages take seconds. The demo
   patient (DEMO-1001, username avery) gets half the messages, up to 1,000 in about 200
   conversations, so their inbox has full pages; the rest is spread over the other
   patients and the topics. Each conversation's columns (status, waiting_since,
   last_message_at, last_staff_message_at, assignee, patient_read_at) are what the
   messages service would have left (services/messages/conversations.py). Conversations older than two
   weeks were answered; most of those are closed.
conversation-url: the demo patient's page for a conversation of 9 messages (for wrk).
queries: the SQL statements each page runs, in this process through the app's test client,
   signed in like the tests: the patient inbox (200 conversations, its last page, and a
   patient with 3), a conversation (1 and 40 messages) and the staff shared inbox (first
   and last page). Saves the counts to OUT.json; prints PROBLEM when two cases of a page
   differ, or differ from EARLIER.json (the same pages with fewer messages).
"""

import itertools
import json
import math
import os
import random
import sys
from datetime import date, timedelta

BATCH = 5000               # messages per transaction
DEMO_MESSAGES = 1000       # the demo patient's share, at most (about 200 conversations)
LONG_CONVERSATION = 40     # the demo patient's one long conversation
SHOWN_CONVERSATION = 9     # the length of the conversation conversation-url names
# A practice answers its messages: only conversations active in the last RECENT_DAYS may
# still wait for a reply (about 5% of them); the others end with the practice's reply and
# most are closed. So the staff inbox holds a few hundred waiting conversations, not half.
RECENT_SHARE, RECENT_DAYS = 0.05, 14
PAGE_SIZE = 25
FIRST = ["Alder", "Briar", "Cedar", "Dorian", "Ember", "Fennel", "Garnet", "Hollis", "Indigo",
         "Juniper", "Kestrel", "Linden", "Marlow", "Nova", "Oakley", "Perrin", "Quillon",
         "Rosalind", "Sorrel", "Tamsin", "Umber", "Vesper", "Wren", "Yarrow", "Zephyr"]
LAST = ["Ashdown", "Brightwater", "Coldbrook", "Dunmore", "Everhart", "Fairweather", "Greyfield",
        "Hawthorne", "Ironwood", "Kingsley", "Larkspur", "Merriweather", "Northcott", "Oldham",
        "Pennywhistle", "Quarrington", "Ravensworth", "Silverton", "Thistlewood", "Underhill",
        "Valemont", "Whitlock", "Yardley", "Zellweger"]
PATIENT_TEXT = ["Could you tell me when my next check-up is due?",
                "I have a question about the bill I received last week.",
                "Is it all right to take this with my other medicine?",
                "Thank you, that answers my question.",
                "Could I come in on a Tuesday morning instead?",
                "My pharmacy says they have not received anything yet."]
STAFF_TEXT = ["Thank you for your message. We have sent it to your pharmacy.",
              "Your appointment is booked. Reply here if you need to change it.",
              "The statement shows your insurer's payment; nothing more is owed.",
              "Your provider has reviewed this and will call you tomorrow."]
NOTES = ["Called the pharmacy, waiting for a call back.", "Checked the ledger: paid in full."]
SUBJECTS = {"plain": "A question", "refill": "Refill request", "appointment": "Visit request"}
DETAILS = {"refill": [["Medication name", "Examplamine"], ["Dose", "10 mg"],
                      ["Pharmacy (name and town)", "Corner Pharmacy, Springfield"]],
           "appointment": [["Reason for the visit", "Yearly check-up"],
                           ["Days that suit you", "Tuesday"], ["Times that suit you", "Morning"]]}
# After a message from (patient, staff, note): who writes next, with what chance.
NEXT = {"patient": (("staff", 0.7), ("note", 0.15), ("patient", 0.15)),
        "staff": (("patient", 0.8), ("staff", 0.1), ("note", 0.1)),
        "note": (("staff", 0.8), ("patient", 0.2))}
problems = []


def _app():
    from portal import create_app

    return create_app(migrations=False)


# --- seeding --------------------------------------------------------------------------------

def _authors(rng, count):
    """Who writes each message: patient, staff or note (a staff note); never a note first."""
    kind = "staff" if rng.random() < 0.1 else "patient"
    kinds = []
    for _ in range(count):
        kinds.append(kind)
        choices, weights = zip(*NEXT[kind], strict=True)
        kind = rng.choices(choices, weights)[0]
    return kinds


def conversation_rows(rng, ids, patient, topic, staff_ids, count, now):
    """One conversation and its messages as the messages service would have left them:
    (conversation row, message rows). `patient` is (patient id, account id); `topic` is
    (id, pool, form)."""
    conversation_id = next(ids["conversations"])
    kinds = _authors(rng, count)
    recent = rng.random() < RECENT_SHARE
    times = [now - timedelta(hours=rng.uniform(0.5, 24 * (RECENT_DAYS if recent else 365)))]
    for _ in kinds[1:]:
        times.insert(0, times[0] - timedelta(hours=rng.uniform(0.2, 48)))
    if not recent and kinds[-1] != "staff":
        kinds[-1] = "staff"  # the practice answered what is no longer recent
    staff_id = rng.choice(staff_ids)
    messages = [{
        "id": next(ids["messages"]), "conversation_id": conversation_id, "created_at": at,
        "patient_account_id": patient[1] if kind == "patient" else None,
        "staff_id": staff_id if kind != "patient" else None, "internal": kind == "note",
        "body": rng.choice(NOTES if kind == "note" else
                           PATIENT_TEXT if kind == "patient" else STAFF_TEXT),
        "details": DETAILS.get(topic[2], []) if index == 0 and kind == "patient" else [],
        "submission_key": None,
    } for index, (kind, at) in enumerate(zip(kinds, times, strict=True))]
    public = [(kind, at) for kind, at in zip(kinds, times, strict=True) if kind != "note"]
    staff_times = [at for kind, at in public if kind == "staff"]
    patient_times = [at for kind, at in public if kind == "patient"]
    last_kind, last_at = public[-1]
    closed = rng.random() < (0.05 if last_kind == "patient" else 0.3 if recent else 0.8)
    waiting_since = None
    if last_kind == "patient" and not closed:
        answered = staff_times[-1] if staff_times else None
        waiting_since = next(at for at in patient_times if answered is None or at > answered)
    if closed:
        status = "closed"
    elif last_kind == "staff":
        status = "waiting"
    else:
        status = "open" if "staff" in kinds or "note" in kinds else "new"
    read_at = patient_times[-1] if patient_times else None
    if staff_times and (read_at is None or staff_times[-1] > read_at) and rng.random() < 0.7:
        read_at = min(now, staff_times[-1] + timedelta(hours=1))  # opened the reply
    conversation = {
        "id": conversation_id, "patient_id": patient[0], "topic_id": topic[0], "pool": topic[1],
        "subject": SUBJECTS[topic[2]], "status": status,
        "assigned_to_id": staff_id if staff_times else None,
        "started_by_staff_id": staff_id if kinds[0] == "staff" else None,
        "created_at": times[0], "last_message_at": last_at, "waiting_since": waiting_since,
        "last_staff_message_at": staff_times[-1] if staff_times else None,
        "patient_read_at": read_at, "patient_archived": closed and rng.random() < 0.3,
        "closed_at": min(now, times[-1] + timedelta(minutes=10)) if closed else None,
    }
    return conversation, messages


def _next_ids(connection, *tables):
    from sqlalchemy import func, select

    return {table.name: itertools.count((connection.scalar(select(func.max(table.c.id))) or 0) + 1)
            for table in tables}


def _bench_staff(connection, now):
    """{pool: [staff ids]}: a few staff members per pool, added the first time."""
    from sqlalchemy import select

    from portal.models import StaffUser
    from portal.services.messages.inbox import ROLE_POOLS
    from portal.services.passwords import hash_password

    table = StaffUser.__table__
    if connection.scalar(select(table.c.id).where(table.c.email.like("bench-%")).limit(1)) is None:
        unusable = hash_password(os.urandom(24).hex())  # nobody signs in as these
        connection.execute(table.insert(), [
            {"email": f"bench-{role}-{number}@maple-grove.example", "name": f"{role} {number}",
             "role": role, "password_hash": unusable, "created_at": now}
            for role in ROLE_POOLS for number in (1, 2)])
    rows = connection.execute(select(table.c.id, table.c.role)
                              .where(table.c.email.like("bench-%"))).all()
    return {pool: [staff_id for staff_id, role in rows if ROLE_POOLS[role] == pool]
            for pool in set(ROLE_POOLS.values())}


def _add_patients(engine, count, now, rng):
    """`count` fictional charts, each with a portal account nobody can sign in to."""
    from portal.models import Patient, PatientAccount
    from portal.services.passwords import hash_password

    unusable = hash_password(os.urandom(24).hex())
    with engine.begin() as connection:
        ids = _next_ids(connection, Patient.__table__, PatientAccount.__table__)
    for start in range(0, count, BATCH):
        charts, accounts = [], []
        for _ in range(min(BATCH, count - start)):
            patient_id, first, last = next(ids["patients"]), rng.choice(FIRST), rng.choice(LAST)
            charts.append({
                "id": patient_id, "account_number": f"BENCH-{patient_id:06d}",
                "first_name": first, "middle_name": "", "last_name": last, "preferred_name": "",
                "date_of_birth": date(1940, 1, 1) + timedelta(days=rng.randrange(30000)),
                "sex": rng.choice(("female", "male", "other", "unknown")),
                "email": f"bench{patient_id}@patients.example", "status": "active",
                "search_name": f"{first} {last}".casefold(), "created_at": now, "updated_at": now})
            accounts.append({
                "id": next(ids["patient_accounts"]), "patient_id": patient_id,
                "username": f"bench{patient_id}", "email": f"bench{patient_id}@patients.example",
                "password_hash": unusable, "security_question": "childhood_hero",
                "security_answer_hash": unusable, "created_at": now, "policy_accepted_at": now,
                "password_changed_at": now})
        with engine.begin() as connection:
            connection.execute(Patient.__table__.insert(), charts)
            connection.execute(PatientAccount.__table__.insert(), accounts)


def _counts(connection, demo_patient_id):
    from sqlalchemy import func, select

    from portal.models import Conversation, Message, Patient

    demo = 0
    if demo_patient_id is not None:
        demo = connection.scalar(select(func.count()).select_from(Message).join(
            Conversation, Conversation.id == Message.conversation_id).where(
            Conversation.patient_id == demo_patient_id))
    return (connection.scalar(select(func.count()).select_from(Patient)),
            connection.scalar(select(func.count()).select_from(Message)), demo)


def seed(n_patients, n_messages, rng=None):
    """Add charts and messages until there are `n_patients` and `n_messages`; returns
    (charts added, messages added). Run inside an app context."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import Conversation, Message, Patient, PatientAccount
    from portal.models.types import utcnow
    from portal.services.demo import DEMO_PATIENT_ACCOUNT
    from portal.services.messages.topics import ensure_topics, offered_topics

    rng, now, engine = rng or random.Random(9), utcnow(), db.engine
    ensure_topics()
    db.session.commit()
    topics = [(topic.id, topic.pool, topic.form) for topic in offered_topics()]
    db.session.close()
    with engine.begin() as connection:
        staff = _bench_staff(connection, now)
        demo = connection.execute(
            select(Patient.id, PatientAccount.id).join(PatientAccount)
            .where(Patient.account_number == DEMO_PATIENT_ACCOUNT)).first()
        patients, messages, demo_messages = _counts(connection, demo[0] if demo else None)
    _add_patients(engine, max(0, n_patients - patients), now, rng)
    with engine.begin() as connection:
        writers = connection.execute(
            select(Patient.id, PatientAccount.id).join(PatientAccount)
            .where(Patient.account_number.like("BENCH-%"))).all()
        ids = _next_ids(connection, Conversation.__table__, Message.__table__)
    ids = {"conversations": ids["conversations"], "messages": ids["messages"]}
    to_add = max(0, n_messages - messages)
    demo_to_add = max(0, min(DEMO_MESSAGES, n_messages // 2) - demo_messages) if demo else 0
    added, first_demo = 0, demo_messages < LONG_CONVERSATION  # the long one comes first
    while added < to_add:
        conversations, rows = [], []
        while len(rows) < BATCH and added + len(rows) < to_add:
            left = to_add - added - len(rows)
            for_demo = demo_to_add > 0
            count = min(left, rng.randint(1, 9))
            if for_demo:
                count = min(count, demo_to_add)
                if first_demo:
                    count, first_demo = min(LONG_CONVERSATION, demo_to_add, left), False
                demo_to_add -= count
            elif not writers:
                raise SystemExit("bench: no patients to write messages (seed some first)")
            topic = rng.choice(topics)
            conversation, messages = conversation_rows(
                rng, ids, demo if for_demo else rng.choice(writers), topic,
                staff[topic[1]], count, now)
            conversations.append(conversation)
            rows += messages
        with engine.begin() as connection:
            connection.execute(Conversation.__table__.insert(), conversations)
            connection.execute(Message.__table__.insert(), rows)
        added += len(rows)
    if engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them
        with engine.begin() as connection:
            for table in ("patients", "patient_accounts", "conversations", "messages"):
                last = f"SELECT COALESCE(MAX(id), 1) FROM {table}"  # noqa: S608 - fixed names
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), ({last}))")
    settle(engine, ("patients", "patient_accounts", "conversations", "messages"))
    return max(0, n_patients - patients), added


def settle(engine, tables):
    """After a bulk insert, on PostgreSQL: VACUUM ANALYZE the tables now, as autovacuum does
    within a few minutes on a server in use, so the load that follows measures the pages and
    not autovacuum catching up on the new rows, and the planner has their statistics."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in tables:
            connection.exec_driver_sql(f"VACUUM ANALYZE {table}")


# --- the pages' SQL -------------------------------------------------------------------------

def _signed_in(app, account):
    """A test client with `account` signed in, as the tests open a session."""
    from portal.extensions import db
    from portal.services import sessions
    from portal.web.login import SESSION_TOKEN_KEY

    client = app.test_client()
    with app.test_request_context():
        token = sessions.start_session(account, "127.0.0.1", "bench")
        db.session.commit()
    with client.session_transaction() as cookie:
        cookie["_user_id"], cookie[SESSION_TOKEN_KEY], cookie["_fresh"] = \
            account.get_id(), token, True
    return client


def _statements(app, client, path):
    """(status, SQL statements run) for GET `path`, after one warm-up GET."""
    from sqlalchemy import event

    from portal.extensions import db

    client.get(path)
    seen = []

    def count(*_arguments):
        seen.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        status = client.get(path).status_code
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return status, len(seen)


def _cases(app):
    """{page: {case: path}} and the signed-in clients, found in the seeded data."""
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import Conversation, Message, PatientAccount, StaffUser
    from portal.services.audit import SYSTEM
    from portal.services.consents import documents, gate, signing
    from portal.services.demo import DEMO_ADMIN_EMAIL, DEMO_PATIENT_USERNAME
    from portal.services.practice import get_practice

    with app.test_request_context():
        demo = db.session.scalar(select(PatientAccount).where(
            PatientAccount.username == DEMO_PATIENT_USERNAME))
        admin = db.session.scalar(select(StaffUser).where(StaffUser.email == DEMO_ADMIN_EMAIL))
        sizes = (select(Conversation.id, func.count(Message.id).label("n"))
                 .join(Message, Message.conversation_id == Conversation.id)
                 .where(Conversation.patient_id == demo.patient_id, Message.internal.is_(False))
                 .group_by(Conversation.id).order_by("n", Conversation.id))
        by_size = db.session.execute(sizes).all()
        inbox_total = db.session.scalar(select(func.count()).select_from(Conversation).where(
            Conversation.patient_id == demo.patient_id, Conversation.patient_archived.is_(False)))
        few = db.session.get(PatientAccount, db.session.scalar(
            select(PatientAccount.id)
            .join(Conversation, Conversation.patient_id == PatientAccount.patient_id)
            .where(PatientAccount.username.like("bench%"), Conversation.patient_archived.is_(False))
            .group_by(PatientAccount.id).having(func.count(Conversation.id) == 3).limit(1)) or 0)
        if few is not None and gate.consent_due(few.patient) is not None:
            _document, consent = documents.portal_consent()  # so the consent gate lets them in
            signing.sign(few.patient, consent, signer=signing.Signer(few.patient.full_name,
                                                                     "patient", few),
                         answers={}, attestations=consent.attestations, drawing=None,
                         submission_key=signing.new_submission_key(), practice=get_practice(),
                         origin=SYSTEM)
            db.session.commit()
        queue_pages = max(1, math.ceil(db.session.scalar(
            select(func.count()).select_from(Conversation)
            .where(Conversation.status.in_(("new", "open")))) / PAGE_SIZE))
        clients = {"patient": _signed_in(app, demo), "staff": _signed_in(app, admin)}
        if few is not None:
            clients["few"] = _signed_in(app, few)
    last_page = max(1, math.ceil(inbox_total / PAGE_SIZE))
    cases = {
        "patient inbox": {f"{inbox_total} conversations, page 1": ("patient", "/messages"),
                          f"{inbox_total} conversations, page {last_page}":
                              ("patient", f"/messages?page={last_page}")},
        "conversation": {f"{by_size[0][1]} message(s)": ("patient", f"/messages/{by_size[0][0]}"),
                         f"{by_size[-1][1]} messages": ("patient", f"/messages/{by_size[-1][0]}")},
        "staff inbox": {"page 1": ("staff", "/staff/messages"),
                        f"page {queue_pages} (the last)": ("staff", f"/staff/messages?page={queue_pages}")},
    }
    if few is not None:
        cases["patient inbox"]["3 conversations"] = ("few", "/messages")
    return cases, clients


def queries(out_path, earlier_path=None):
    """Count each page's SQL statements, save them, and flag any count that moves."""
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import Message

    app = _app()
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Message))
    cases, clients = _cases(app)
    problems.extend(compare_statements(app, cases, clients, f"{total:,} messages", "messages",
                                       out_path, earlier_path))


def compare_statements(app, cases, clients, in_database, rows, out_path, earlier_path):
    """Count the SQL statements of each case's page, print them, save them to `out_path`, and
    return the problems: a page that does not answer 200, a page whose count depends on its
    case, or one whose count differs from `earlier_path`'s (the same pages with fewer `rows`).
    `cases`: {page: {case: (who, path)}}, `clients`: {who: signed-in client}. Serves
    bench_records.py too."""
    found_problems, counts = [], {}
    print(f"  SQL statements per page, {in_database} in the database:")
    for page, paths in cases.items():
        found = {}
        for case, (who, path) in paths.items():
            status, statements = _statements(app, clients[who], path)
            print(f"    {page:15} {case:32} GET {path:28} {status}  {statements} statements")
            if status != 200:
                found_problems.append(f"GET {path} answered {status}, not 200")
            found[case] = statements
        counts[page] = sorted(set(found.values()))
        if len(counts[page]) > 1:
            found_problems.append(f"the {page} runs {' or '.join(map(str, counts[page]))} "
                                  "statements depending on its rows: it should not")
    if earlier_path and os.path.exists(earlier_path):
        with open(earlier_path) as earlier_file:
            earlier = json.load(earlier_file)
        for page, numbers in counts.items():
            if page in earlier and earlier[page] != numbers:
                found_problems.append(f"the {page} runs {numbers} statements now, "
                                      f"{earlier[page]} with fewer {rows}")
    with open(out_path, "w") as out:
        json.dump(counts, out)
    return found_problems


def conversation_url():
    """The demo patient's conversation of SHOWN_CONVERSATION messages (or the longest under)."""
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import Conversation, Message, Patient
    from portal.services.demo import DEMO_PATIENT_ACCOUNT

    with _app().app_context():
        size = func.count(Message.id)
        found = db.session.execute(
            select(Conversation.id, size).join(Message, Message.conversation_id == Conversation.id)
            .join(Patient, Patient.id == Conversation.patient_id)
            .where(Patient.account_number == DEMO_PATIENT_ACCOUNT, Message.internal.is_(False))
            .group_by(Conversation.id).having(size <= SHOWN_CONVERSATION)
            .order_by(size.desc(), Conversation.id).limit(1)).first()
    if found is None:
        raise SystemExit("bench: the demo patient has no conversation")
    print(f"/messages/{found[0]}")


def main(mode, *arguments):
    if mode == "seed":
        import time

        started = time.perf_counter()
        with _app().app_context():
            charts, messages = seed(int(arguments[0]), int(arguments[1]))
        print(f"  seeded {charts:,} charts and {messages:,} messages in "
              f"{time.perf_counter() - started:.1f} s (for {int(arguments[0]):,} charts and "
              f"{int(arguments[1]):,} messages in all)")
    elif mode == "conversation-url":
        conversation_url()
    else:
        queries(*arguments)
    for problem in problems:
        print(f"  PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    os.environ.setdefault("PORTAL_ENV", "development")
    sys.exit(main(*sys.argv[1:]))
