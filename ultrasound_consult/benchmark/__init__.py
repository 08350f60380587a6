"""``ultrasound-consult bench``: a real station -> expert call, measured end to end.

Station and expert run as separate processes with their real windows offscreen,
so CPU is per side and "painted" means painted by the app's own video view.
Figures are printed as one JSON object; nothing here is used by a normal call.
"""
