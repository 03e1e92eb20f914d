"""make bench seeds messages in bulk (scripts/bench_messages.py): the counts it promises, and
conversations whose columns say what their messages say, as the messaging service keeps them."""

import importlib.util
import random
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Conversation, Message, MessageTopic, Patient, PatientAccount

SCRIPT = Path(__file__).parent.parent / "scripts" / "bench_messages.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_messages", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def seeded(app, make_account, bench):
    """The demo patient's account, then 50 charts and 500 messages in all."""
    demo = make_account(username="avery", account_number="DEMO-1001")
    with app.app_context():
        assert bench.seed(50, 500, random.Random(1)) == (49, 500)
    return demo


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_counts_and_the_demo_patient_s_share(app, seeded, bench):
    with app.app_context():
        assert count(Patient) == 50 and count(Message) == 500
        assert count(PatientAccount) == 50  # every seeded chart can write
        demo_messages = db.session.scalar(
            select(func.count()).select_from(Message)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Conversation.patient_id == seeded.patient_id))
        assert demo_messages == 250  # half of 500 (up to 1,000)
        longest = db.session.scalar(select(func.count()).select_from(Message)
                                    .group_by(Message.conversation_id)
                                    .order_by(func.count().desc()).limit(1))
        assert longest == 40
        assert count(Message, Message.internal) > 0
        assert count(Message, Message.staff_id.is_not(None), Message.internal.is_(False)) > 0
        # Asking again for what is there adds nothing; asking for more adds the difference.
        assert bench.seed(50, 500) == (0, 0)
        assert bench.seed(60, 700) == (10, 200)
        assert count(Patient) == 60 and count(Message) == 700


def expected(conversation, messages):
    """What the conversation's columns must be, read from its messages alone."""
    public = [message for message in messages if not message.internal]
    staff = [message.created_at for message in public if message.staff_id is not None]
    last = public[-1]
    waiting = None
    if last.patient_account_id is not None and conversation.status != "closed":
        waiting = next(message.created_at for message in public
                       if message.patient_account_id is not None
                       and (not staff or message.created_at > staff[-1]))
    return {"created_at": messages[0].created_at, "last_message_at": last.created_at,
            "last_staff_message_at": staff[-1] if staff else None, "waiting_since": waiting}


def test_every_conversation_is_consistent(app, seeded):
    with app.app_context():
        accounts = dict(db.session.execute(select(PatientAccount.id, PatientAccount.patient_id)).all())
        pools = dict(db.session.execute(select(MessageTopic.id, MessageTopic.pool)).all())
        by_conversation = defaultdict(list)
        for message in db.session.scalars(select(Message).order_by(Message.id)):
            by_conversation[message.conversation_id].append(message)
        conversations = db.session.scalars(select(Conversation)).all()
        assert sum(map(len, by_conversation.values())) == 500
        assert {conversation.id for conversation in conversations} == set(by_conversation)
        for conversation in conversations:
            messages = by_conversation[conversation.id]
            found = {name: getattr(conversation, name) for name in
                     ("created_at", "last_message_at", "last_staff_message_at", "waiting_since")}
            assert found == expected(conversation, messages), conversation.id
            assert conversation.pool == pools[conversation.topic_id]
            assert [message.created_at for message in messages] == sorted(
                message.created_at for message in messages)
            for message in messages:
                assert (message.patient_account_id is None) != (message.staff_id is None)
                assert not (message.internal and message.staff_id is None)
                if message.patient_account_id is not None:
                    assert accounts[message.patient_account_id] == conversation.patient_id
            public = [message for message in messages if not message.internal]
            from_staff = [message for message in messages if message.staff_id is not None]
            if conversation.status == "closed":
                assert conversation.closed_at is not None and conversation.waiting_since is None
            else:
                assert conversation.closed_at is None and not conversation.patient_archived
            if conversation.status == "waiting":
                assert public[-1].staff_id is not None
            if conversation.status in ("new", "open"):
                assert public[-1].patient_account_id is not None
            assert (conversation.status == "new") == (
                conversation.status != "closed" and not from_staff)
            assert (conversation.assigned_to_id is None) == all(
                message.internal for message in from_staff)
            if conversation.started_by_staff_id is not None:
                assert messages[0].staff_id == conversation.started_by_staff_id
        statuses = {conversation.status for conversation in conversations}
        assert {"waiting", "closed"} <= statuses <= {"new", "open", "waiting", "closed"}
        assert statuses & {"new", "open"}  # some recent ones still wait for the practice
