"""The least Solara page with what ``bench_app.py`` waits for on a page load: a "+1 day" button and
two images (the classroom map and ladder at hour 0, drawn once). The benchmark loads it to show the
floor here: what any Solara page costs to load on this machine, at its present load."""

import solara

from sim.model.escalation import DEFAULT_SCENARIO, EscalationModel
from sim.viz.figures import LadderFrames, MapFrames

_model = EscalationModel(DEFAULT_SCENARIO, rng=1)
MAP, LADDER = MapFrames(_model).png(), LadderFrames(_model.spec).png({}, [], 0)


@solara.component
def Page():  # noqa: N802 (Solara finds the page by this name)
    solara.Button("+1 day")
    solara.Image(MAP, classes=["map"])
    solara.Image(LADDER, classes=["ladder"])
