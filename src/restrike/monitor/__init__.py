"""The system monitor: CPU, memory, the recordings disk, OBS frame drops, warnings."""

from restrike.monitor.component import MonitorComponent
from restrike.monitor.rules import Thresholds, Warnings, hours_left, skipped_percent

__all__ = ["MonitorComponent", "Thresholds", "Warnings", "hours_left", "skipped_percent"]
