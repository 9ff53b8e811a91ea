"""The rule engine's detectors, one module each, and the order they run in.

Each reads a server's recent readings and yields findings, with proposals
only for actions assigned to the server and parameters taken from what was
observed. Every detector, what it reads, its thresholds and its tier are
listed in the README (Analysis); a new one needs a row there too.
"""

from __future__ import annotations

from ssop.core.analysis.detectors.disks import detect_full_disks
from ssop.core.analysis.detectors.load import detect_load
from ssop.core.analysis.detectors.memory import detect_memory_pressure
from ssop.core.analysis.detectors.runaway import detect_runaways
from ssop.core.analysis.detectors.ssh import detect_brute_force
from ssop.core.analysis.detectors.units import detect_units
from ssop.core.analysis.detectors.window import Detector

READING_DETECTORS: tuple[Detector, ...] = (
    detect_full_disks,
    detect_units,
    detect_runaways,
    detect_memory_pressure,
    detect_brute_force,
    detect_load,
)
