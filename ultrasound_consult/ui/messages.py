"""What the windows say, in the user's language.

The engine reports states and error codes with English detail; this module turns
them into translated headlines and what to do (see :mod:`ultrasound_consult.ui.i18n`).
The engine's detail goes to the log; a person reads it only when there is no
translated advice for the code and it holds nothing technical (:func:`plain_detail`).
"""

from __future__ import annotations

import html
import logging
import re

from ultrasound_consult.ui.i18n import tr

logger = logging.getLogger(__name__)

#: What marks a detail as meant for a developer, not a clinician: errno, library and
#: device-index wording, addresses in tuples, exception names.
_TECHNICAL = re.compile(
    r"errno|error querying|paerror|portaudio|traceback|exception|0x[0-9a-f]{4,}|"
    r"device -?\d+|connect call failed|\('|\w+error\b|ssl|x509|\bav\.|cv2|ffmpeg",
    re.IGNORECASE,
)
_PARENTHESES = re.compile(r"\s*\((?:[^()]|\([^()]*\))*\)")


def state_text(state: str, role: str, room: str, peer_name: str = "") -> str:
    if state == "connecting":
        return tr("Connecting to the server…")
    if state == "waiting":
        if role == "station":
            return tr("Waiting for an expert to join room {room}").format(room=room)
        return tr("Waiting for the station to join room {room}").format(room=room)
    if state == "negotiating":
        return tr("Connecting video…")
    if state == "connected":
        return tr("Connected to {name}").format(name=peer_name or tr("the other side"))
    if state == "ended":
        return tr("Call ended")
    if state == "failed":
        return tr("The call could not start")
    return state


def error_headline(code: str) -> str:
    """A short translated headline for an engine error code; the detail follows it."""
    headlines = {
        "server_unreachable": tr("Cannot reach the server. Check the address and the network."),
        "bad_url": tr("The server address is not valid."),
        "join_failed": tr("The server did not accept the call."),
        "room_full": tr("This room is full. Use another room code."),
        "server_full": tr("The server is busy. Try again in a minute."),
        "server_busy": tr("The server is busy. Try again in a minute."),
        "rate_limited": tr("Too many tries. Wait a minute, then join again."),
        "unauthorized": tr("The invite code was not accepted. Check it, or ask for a new one."),
        "token_invalid": tr("The invite code is wrong. Check it, or ask for a new one."),
        "token_expired": tr("The invite code has expired. Ask the organiser for a new one."),
        "token_wrong_room": tr("The invite code is for another room. Ask for a new one."),
        "token_wrong_role": tr("The invite code is for another role. Ask for a new one."),
        "tls_untrusted": tr("The server's certificate is not trusted. Ask your IT contact."),
        "device_busy": tr("The video source is in use by another program. Close it and try again."),
        "unsupported_version": tr(
            "This app and the server are different versions. Update the app."
        ),
        "server_outdated": tr("The server is older than this app and cannot serve it."),
        "app_outdated": tr("This app is older than the server and cannot join it."),
        "source_unavailable": tr("The video source cannot be opened."),
        "source_lost": tr("The video source stopped. Check the cable, or choose another source."),
        "server_lost": tr("Lost the connection to the server. The video continues."),
        "peer_connection_failed": tr("The video connection failed. The network may block it."),
        "action_refused": tr("That cannot be done right now."),
        "camera_unavailable": tr("The second camera cannot be opened. The ultrasound goes on."),
        "camera_lost": tr("The second camera stopped. The ultrasound goes on."),
        "microphone_unavailable": tr("No microphone: the others will not hear you."),
        "microphone_silent": tr(
            "The microphone sends no sound. Check it, or choose another one in Settings."
        ),
        "speaker_unavailable": tr("No speaker: you will not hear the others."),
        "mesh_limit": tr(
            "More than 4 people are watching: the picture may get worse for everyone."
        ),
        "server_gone": tr("Cannot rejoin the server. End the call and join again."),
        "disk_full": tr("Recording stopped: the disk is full. The call goes on."),
        "recording_failed": tr("Recording stopped. The call goes on."),
        "lecture_refused": tr("The station did not do what you asked for the lecture."),
        "question_refused": tr("Your question did not reach the trainer."),
        "lecture_unavailable": tr("The lecture relay cannot be reached."),
    }
    return headlines.get(
        code, tr("Something went wrong. The details are in the log file (see About).")
    )


def preset_text(name: str) -> str:
    return {
        "diagnostic": tr("Diagnostic quality"),
        "balanced": tr("Balanced"),
        "weak": tr("Weak network"),
    }.get(name, name)


def role_text(role: str) -> str:
    return {
        "station": tr("Station"),
        "expert": tr("Expert"),
        "trainer": tr("Trainer"),
        "observer": tr("Observer"),
    }.get(role, role)


def window_title(role: str) -> str:
    """The call window's title: who this window is (a trainer's is not "Expert")."""
    return {
        "station": tr("Station — ultrasound-consult"),
        "expert": tr("Expert — ultrasound-consult"),
        "trainer": tr("Trainer — ultrasound-consult"),
        "observer": tr("Observer — ultrasound-consult"),
    }.get(role, "ultrasound-consult")


def left_text(name: str, role: str, *, needed: bool) -> str:
    """What the others read when someone leaves. Only a departure the call depends on
    (the station, or the last person this side is in the call with) says it waits."""
    if role == "station":
        return tr("{name} left the call. Waiting for the station to come back.").format(name=name)
    if needed:
        return tr(
            "{name} left the call. Waiting for them to come back; you can end the call."
        ).format(name=name)
    return tr("{name} ({role}) left the call.").format(name=name, role=role_text(role))


def error_advice(code: str) -> str:
    """What to do, when the headline does not say it already ("" if it does)."""
    return {
        "server_unreachable": tr(
            "If the address is right, ask your IT contact whether the server is running."
        ),
        "bad_url": tr("Enter the server address your IT contact gave you."),
        "join_failed": tr("Try again; if it keeps failing, ask your IT contact."),
        "source_unavailable": tr(
            "Check the scanner's video cable and the capture card, or choose another source "
            "(Settings)."
        ),
        "peer_connection_failed": tr(
            "Ask your IT contact whether the network needs a relay (TURN) server."
        ),
        "microphone_unavailable": tr(
            "Check that a microphone is plugged in, or choose another one in Settings."
        ),
        "mesh_limit": tr(
            "A trainer can press Start lecture: the picture then goes once to the lecture "
            "relay (SFU) and every trainee watches from there. If the server has no relay, "
            "ask your IT contact."
        ),
        "speaker_unavailable": tr(
            "Check that a speaker or headset is plugged in, or choose another one in Settings."
        ),
        "server_outdated": tr(
            "Ask your IT contact to update the signalling server (ultrasound-consult-server) "
            "to this app's version, shown in About."
        ),
        "app_outdated": tr(
            "Install the newer version of ultrasound-consult (ask your IT contact), then join "
            "again."
        ),
        "disk_full": tr("Free some space, or record to another disk."),
        "question_refused": tr(
            "The question panel says why. Ask again a little later, or raise your hand."
        ),
        "lecture_unavailable": tr(
            "Leave the call and join again. If it keeps failing, tell the trainer: the "
            "server's lecture relay (SFU) may be down."
        ),
        "recording_failed": tr("The details are in the log file (see About)."),
        "internal": tr("The details are in the log file (see About)."),
    }.get(code, "")


def plain_detail(detail: str) -> str:
    """``detail`` without technical asides ("(... [Errno 111] ...)" goes); "" when what
    is left is still technical."""
    kept = _PARENTHESES.sub(
        lambda m: "" if _TECHNICAL.search(m.group(0)) else m.group(0), detail or ""
    )
    return "" if _TECHNICAL.search(kept) else kept.strip()


def error_html(code: str, detail: str = "", *, advice: str | None = None) -> str:
    """What a person reads about an error: the headline (what happened) and what to do.

    ``advice`` is translated text from the UI itself and shown as is. ``detail`` is the
    engine's English: it goes to the log, and is shown (cleaned) only when the code
    has no advice of its own.
    """
    if detail:
        logger.info("told the user %s: %s", code, detail)
    headline = error_headline(code) if code != "mask" else tr("Privacy mask")
    what = advice if advice is not None else (error_advice(code) or plain_detail(detail))
    text = f"<b>{html.escape(headline)}</b>"
    return text + (f"<br>{html.escape(what)}" if what else "")
