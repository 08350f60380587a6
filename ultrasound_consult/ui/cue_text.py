"""What a guidance cue says, in the user's language.

Whole phrases per action and direction, not words glued together: Chinese puts the
direction before the verb ("向患者头侧滑动探头"), so each combination is translated
as a sentence.
"""

from __future__ import annotations

from ultrasound_consult.protocol.guidance import Action, Cue, CueStatus, Direction
from ultrasound_consult.ui.i18n import tr


def action_name(action: Action) -> str:
    return {
        Action.SLIDE: tr("Slide"),
        Action.SWEEP: tr("Sweep"),
        Action.ROCK: tr("Rock"),
        Action.TILT: tr("Tilt / fan"),
        Action.ROTATE: tr("Rotate"),
        Action.COMPRESS: tr("Pressure"),
        Action.HOLD: tr("Hold still"),
        Action.DEPTH_UP: tr("Depth +"),
        Action.DEPTH_DOWN: tr("Depth −"),
        Action.GAIN_UP: tr("Gain +"),
        Action.GAIN_DOWN: tr("Gain −"),
        Action.COLOR_DOPPLER: tr("Colour Doppler"),
        Action.POWER_DOPPLER: tr("Power Doppler"),
        Action.FREEZE: tr("Freeze"),
        Action.SAVE_CLIP: tr("Save clip"),
    }[action]


def direction_name(direction: Direction) -> str:
    return {
        Direction.HEAD: tr("Toward head"),
        Direction.FEET: tr("Toward feet"),
        Direction.PATIENT_LEFT: tr("Patient's left"),
        Direction.PATIENT_RIGHT: tr("Patient's right"),
        Direction.TOWARD_MARKER: tr("Toward marker"),
        Direction.AWAY_FROM_MARKER: tr("Away from marker"),
        Direction.CLOCKWISE: tr("Clockwise"),
        Direction.COUNTERCLOCKWISE: tr("Counter-clockwise"),
        Direction.MORE: tr("Press harder"),
        Direction.LESS: tr("Ease off"),
    }[direction]


def _motion_phrase(action: Action, direction: Direction | None) -> str:
    d = direction
    table: dict[tuple[Action, Direction | None], str] = {
        (Action.SLIDE, Direction.HEAD): tr("Slide the probe toward the patient's head"),
        (Action.SLIDE, Direction.FEET): tr("Slide the probe toward the patient's feet"),
        (Action.SLIDE, Direction.PATIENT_LEFT): tr("Slide the probe to the patient's left"),
        (Action.SLIDE, Direction.PATIENT_RIGHT): tr("Slide the probe to the patient's right"),
        (Action.SLIDE, Direction.TOWARD_MARKER): tr("Slide the probe toward its marker"),
        (Action.SLIDE, Direction.AWAY_FROM_MARKER): tr("Slide the probe away from its marker"),
        (Action.SWEEP, Direction.HEAD): tr("Sweep slowly toward the patient's head"),
        (Action.SWEEP, Direction.FEET): tr("Sweep slowly toward the patient's feet"),
        (Action.SWEEP, Direction.PATIENT_LEFT): tr("Sweep slowly to the patient's left"),
        (Action.SWEEP, Direction.PATIENT_RIGHT): tr("Sweep slowly to the patient's right"),
        (Action.SWEEP, Direction.TOWARD_MARKER): tr("Sweep slowly toward the probe's marker"),
        (Action.SWEEP, Direction.AWAY_FROM_MARKER): tr("Sweep slowly away from the marker"),
        (Action.ROCK, Direction.TOWARD_MARKER): tr("Rock the probe toward its marker"),
        (Action.ROCK, Direction.AWAY_FROM_MARKER): tr("Rock the probe away from its marker"),
        (Action.TILT, Direction.HEAD): tr("Tilt the probe toward the patient's head"),
        (Action.TILT, Direction.FEET): tr("Tilt the probe toward the patient's feet"),
        (Action.TILT, Direction.PATIENT_LEFT): tr("Tilt the probe to the patient's left"),
        (Action.TILT, Direction.PATIENT_RIGHT): tr("Tilt the probe to the patient's right"),
        (Action.TILT, Direction.TOWARD_MARKER): tr("Tilt the probe toward its marker"),
        (Action.TILT, Direction.AWAY_FROM_MARKER): tr("Tilt the probe away from its marker"),
        (Action.ROTATE, Direction.CLOCKWISE): tr("Rotate the probe clockwise"),
        (Action.ROTATE, Direction.COUNTERCLOCKWISE): tr("Rotate the probe counter-clockwise"),
        (Action.COMPRESS, Direction.MORE): tr("Press harder with the probe"),
        (Action.COMPRESS, Direction.LESS): tr("Ease the pressure on the probe"),
        (Action.HOLD, None): tr("Hold the probe still"),
        (Action.DEPTH_UP, None): tr("Increase the depth"),
        (Action.DEPTH_DOWN, None): tr("Decrease the depth"),
        (Action.GAIN_UP, None): tr("Increase the gain"),
        (Action.GAIN_DOWN, None): tr("Decrease the gain"),
        (Action.COLOR_DOPPLER, None): tr("Turn on colour Doppler"),
        (Action.POWER_DOPPLER, None): tr("Turn on power Doppler"),
        (Action.FREEZE, None): tr("Freeze the image"),
        (Action.SAVE_CLIP, None): tr("Save a clip"),
    }
    return table[(action, d)]


def cue_text(cue: Cue) -> str:
    """The sentence the station shows, with the angle when there is one."""
    text = _motion_phrase(cue.action, cue.direction)
    if cue.angle_deg is not None:
        text += " " + tr("({deg:.0f}°)").format(deg=cue.angle_deg)
    return text


def status_text(status: CueStatus) -> str:
    return {
        CueStatus.SENT: tr("sent"),
        CueStatus.SHOWN: tr("on the station's screen"),
        CueStatus.DONE: tr("done"),
        CueStatus.CANT: tr("can't do it"),
        CueStatus.CANCELLED: tr("withdrawn"),
        CueStatus.REPLACED: tr("replaced by a newer cue"),
    }[status]
