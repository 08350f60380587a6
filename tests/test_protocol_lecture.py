"""A lecture's messages: each round-trips, and what is wrong is refused with a reason."""

from __future__ import annotations

import json

import pytest

from ultrasound_consult.protocol.channel import encode_channel, parse_channel_message
from ultrasound_consult.protocol.errors import ProtocolError
from ultrasound_consult.protocol.lecture import (
    MAX_QUESTION_CHARS,
    MAX_VOICES,
    TRAINEE_TYPES,
    LectureAction,
    LectureControl,
    LectureState,
    Question,
    Roster,
    Voice,
    Watcher,
    WatchReport,
)
from ultrasound_consult.protocol.signaling import (
    MAX_RECLAIM,
    SfuRequest,
    encode_client,
    parse_client_message,
)


def refused(obj: dict) -> str:
    with pytest.raises(ProtocolError) as exc:
        parse_channel_message(json.dumps(obj))
    return exc.value.reason


def test_each_message_round_trips():
    for msg in (
        LectureState(True, "p2", (Voice("p1", 10), Voice("p2", 2))),
        LectureControl("o1", LectureAction.ANSWERED, question="q1"),
        Question("o2", "深度多少?"),
        Roster((Watcher("p2", "学员", WatchReport(29.0, 3000.0, 0.01, None, False)),)),
    ):
        assert parse_channel_message(encode_channel(msg)) == msg


def test_commands_need_what_they_act_on():
    assert "peer" in refused({"type": "lecture.ctl", "op": "o", "action": "unmute"})
    assert "question" in refused({"type": "lecture.ctl", "op": "o", "action": "answered"})
    assert "action" in refused({"type": "lecture.ctl", "op": "o", "action": "kick"})


def test_questions_are_text_of_a_bounded_length_never_cut():
    assert "blank" in refused({"type": "lecture.ask", "op": "o", "text": "   "})
    long = "问" * (MAX_QUESTION_CHARS + 1)
    assert str(MAX_QUESTION_CHARS) in refused({"type": "lecture.ask", "op": "o", "text": long})


def test_reports_hold_plausible_figures():
    base = {"type": "lecture.report", "fps": 30, "kbps": 1, "loss": 0, "watching": True}
    assert "loss" in refused({**base, "loss": 1.5})
    assert "fps" in refused({**base, "fps": -1})
    assert "rtt_ms" in refused({**base, "rtt_ms": "fast"})


def test_a_state_lists_few_voices_on_feeds_that_are_not_the_station_s():
    voices = [{"peer": f"p{i}", "feed": 10 + i} for i in range(MAX_VOICES + 1)]
    assert "voices" in refused({"type": "lecture", "on": True, "speaker": None, "voices": voices})
    station = [{"peer": "p", "feed": 1}]
    assert "feed" in refused({"type": "lecture", "on": True, "speaker": None, "voices": station})


def test_trainees_may_send_the_server_only_hands_questions_reports_and_chat():
    assert {"lecture.hand", "lecture.ask", "lecture.report", "chat"} == TRAINEE_TYPES


def test_a_reclaim_is_a_short_list_of_feed_ids():
    assert parse_client_message(encode_client(SfuRequest((1, 2)))) == SfuRequest((1, 2))
    assert parse_client_message('{"type": "sfu_request"}') == SfuRequest()
    for bad in ([0], ["1"], list(range(1, MAX_RECLAIM + 2)), "1"):
        with pytest.raises(ProtocolError):
            parse_client_message(json.dumps({"type": "sfu_request", "reclaim": bad}))
