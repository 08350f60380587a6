"""Consult requests (left, queued, taken, called back) and the consult log with its
monthly statistics after a scripted day, on a real server process and SQLite."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator

import pytest

from signaling_server.enrollment import DeviceKind
from tests.support.consult import ConsultServer, call_ready, of_type, signed_in
from ultrasound_consult.protocol.consult import (
    CallFailed,
    CallKind,
    Duty,
    RequestStatus,
    Ring,
    Ringing,
    Urgency,
)
from ultrasound_consult.session.presence import ConsultRefused, PresenceClient


@pytest.fixture
def server(tmp_path) -> Iterator[ConsultServer]:
    log = tmp_path / "server.log"
    s = ConsultServer(ring_timeout="5s", log_file=log).start()
    yield s
    s.stop()
    text = log.read_text()
    # Neither the question nor the clinic's reference is ever logged.
    assert "PZ-2026-0142" not in text and "knee pain" not in text


async def answered(caller: PresenceClient, callee: PresenceClient, target: str, **kw) -> str:
    ringing = await caller.call(target, **kw)
    assert isinstance(ringing, Ringing), ringing
    await callee.next_event(of_type(Ring, call_id=ringing.call_id))
    await callee.accept(ringing.call_id)
    await call_ready(caller, ringing.call_id)
    await call_ready(callee, ringing.call_id)
    return ringing.call_id


async def test_a_request_is_queued_taken_and_called_back(server):
    station = await server.device(DeviceKind.STATION, "Puzi clinic", site="puzi")
    expert = await server.device(DeviceKind.EXPERT, "Dr. Wang", specialty="msk")
    async with signed_in(station) as st, signed_in(expert, Duty.ON) as ex:
        for bad, why in (("Wang Li", "never a patient's name"), ("WangLi", "at least one digit")):
            with pytest.raises(ConsultRefused) as refused:
                await st.leave_request(
                    exam="knee", question="?", urgency=Urgency.ROUTINE, reference=bad
                )
            assert refused.value.code == "bad_message" and why in refused.value.message
        with pytest.raises(ConsultRefused) as refused:
            await ex.leave_request(exam="knee", question="?", urgency=Urgency.ROUTINE)
        assert refused.value.code == "forbidden"
        left = await st.leave_request(
            exam="MSK knee",
            question="knee pain after a fall: effusion? tendon tear?",
            urgency=Urgency.SOON,
            specialty="msk",
            preferred_time="2026-12-04 14:00",
            reference="PZ-2026-0142",
        )
        request = left.request
        assert request.status == "open" and request.reference == "PZ-2026-0142"
        # It reaches the on-duty expert at once, without the clinic's reference.
        pushed = await ex.next_event(
            lambda e: isinstance(e, RequestStatus) and e.request.id == request.id
        )
        assert pushed.request.reference == "" and pushed.request.station == "Puzi clinic"
        queue = await ex.queue()
        assert [r.id for r in queue.requests] == [request.id]
        assert queue.requests[0].urgency is Urgency.SOON
        taken = await ex.take(request.id)
        assert taken.request.status == "taken" and taken.request.taken_by == "Dr. Wang"
        seen = await st.next_event(
            lambda e: isinstance(e, RequestStatus) and e.request.status == "taken"
        )
        assert seen.request.taken_by == "Dr. Wang" and seen.request.reference == "PZ-2026-0142"
        with pytest.raises(ConsultRefused) as refused:
            await ex.take(request.id)
        assert refused.value.code == "conflict" and "taken by Dr. Wang" in refused.value.message
        # The expert calls the station back about it; the station sees each step.
        ringing = await ex.call(f"device:{station.device_id}", request_id=request.id)
        ring = await st.next_event(of_type(Ring, call_id=ringing.call_id))
        assert ring.request is not None and ring.request.exam == "MSK knee"
        await st.accept(ringing.call_id)
        await call_ready(ex, ringing.call_id)
        called = await st.next_event(
            lambda e: isinstance(e, RequestStatus) and e.request.status == "called"
        )
        assert called.request.id == request.id
        await st.hang_up(ringing.call_id)
        await st.next_event(lambda e: isinstance(e, RequestStatus) and e.request.status == "done")
        mine = await st.queue()
        assert [(r.id, r.status) for r in mine.requests] == [(request.id, "done")]
        assert (await ex.queue()).requests == ()


async def test_log_and_statistics_of_a_scripted_day(server):
    puzi = await server.device(DeviceKind.STATION, "Puzi clinic", site="puzi")
    dong = await server.device(DeviceKind.STATION, "Dongxiang clinic", site="dongxiang")
    wang = await server.device(DeviceKind.EXPERT, "Dr. Wang", specialty="msk")
    li = await server.device(DeviceKind.EXPERT, "Dr. Li", specialty="msk,cardiac")
    trainer = await server.device(DeviceKind.TRAINER, "Dr. Teach", specialty="obs")
    student = await server.device(DeviceKind.TRAINEE, "Student Zhao", site="dongxiang")
    async with (
        signed_in(puzi) as p,
        signed_in(dong) as d,
        signed_in(wang, Duty.ON) as w,
        signed_in(li, Duty.OFF) as lee,
        signed_in(trainer, Duty.ON) as t,
        signed_in(student) as s,
    ):
        # 1. Puzi, MSK: Dr. Wang answers, writes his opinion; recorded.
        c1 = await answered(p, w, "specialty:msk")
        await p.hang_up(c1, recorded=True, opinion=True)
        # 2. Puzi, MSK: Dr. Wang declines.
        ringing = await p.call("specialty:msk")
        await w.next_event(of_type(Ring, call_id=ringing.call_id))
        await w.decline(ringing.call_id)
        await p.next_event(of_type(CallFailed, call_id=ringing.call_id))
        # 3. Dongxiang, cardiac: nobody on duty.
        nobody = await d.call("specialty:cardiac")
        assert isinstance(nobody, CallFailed)
        # 4. Dongxiang, a QC session with Dr. Li, who went on duty.
        await lee.set_duty(Duty.ON)
        ringing = await d.call(f"device:{li.device_id}", kind=CallKind.QC)
        await lee.next_event(of_type(Ring, call_id=ringing.call_id))
        await lee.accept(ringing.call_id)
        await call_ready(d, ringing.call_id)
        await lee.hang_up(ringing.call_id)
        # 5. Teaching: Dr. Teach calls Dongxiang and brings in a trainee.
        c5 = await answered(t, d, f"device:{dong.device_id}")
        await t.invite_trainee(c5, student.device_id)
        await call_ready(s, c5)
        await d.hang_up(c5)
    month = time.strftime("%Y-%m", time.gmtime())
    out = server.cli("log", "--since", month, "--csv")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [(r["kind"], r["site"], r["station"], r["experts"], r["outcome"]) for r in rows] == [
        ("consult", "puzi", "Puzi clinic", "Dr. Wang", "opinion given"),
        ("consult", "puzi", "Puzi clinic", "", "declined"),
        ("consult", "dongxiang", "Dongxiang clinic", "", "nobody"),
        ("qc", "dongxiang", "Dongxiang clinic", "Dr. Li", "completed"),
        ("teaching", "dongxiang", "Dongxiang clinic", "Dr. Teach", "completed"),
    ]
    assert [r["recorded"] for r in rows] == ["True", "False", "False", "False", "False"]
    assert rows[4]["trainees"] == "Student Zhao"
    assert all(int(r["duration_s"]) >= 0 for r in rows)
    # Nothing in the log could identify a patient: these are all its columns.
    assert set(rows[0]) == {
        "id",
        "kind",
        "month",
        "site",
        "station",
        "station_id",
        "experts",
        "expert_ids",
        "trainees",
        "trainee_ids",
        "requested_at",
        "started",
        "duration_s",
        "outcome",
        "answered",
        "recorded",
    }
    stats = json.loads(server.cli("log", "--since", month, "--stats", "--json").stdout)
    sites = {r["site"]: r for r in stats["per site"]}
    assert sites["puzi"] == {
        "month": month,
        "site": "puzi",
        "consults": 1,
        "teaching": 0,
        "qc": 0,
        "unanswered": 1,
        "sonographers_active": 1,
    }
    assert sites["dongxiang"] == {
        "month": month,
        "site": "dongxiang",
        "consults": 0,
        "teaching": 1,
        "qc": 1,
        "unanswered": 1,
        "sonographers_active": 2,
    }
    experts = {r["expert"]: r for r in stats["per expert"]}
    assert {k: experts[k]["consults"] for k in experts} == {
        "Dr. Wang": 1,
        "Dr. Li": 0,
        "Dr. Teach": 0,
    }
    assert experts["Dr. Li"]["qc"] == 1 and experts["Dr. Teach"]["teaching"] == 1
    # A month with nothing in it.
    empty = server.cli("log", "--since", "2000-01", "--until", "2000-02", "--csv")
    assert empty.returncode == 0
    bad = server.cli("log", "--since", "January")
    assert bad.returncode == 2 and "YYYY-MM" in bad.stderr
