"""Interactive layer: ipywidgets controls and the app classes behind the Voila apps.

Imports :mod:`crmlib`; :mod:`crmlib` never imports this package.
"""

from widgets.evaluation_app import EvaluationApp, ExperimentApp
from widgets.lifecycle_app import LifecycleApp
from widgets.overview_app import OverviewApp
from widgets.paths_app import NetworkApp, PathsApp
from widgets.rule_explorer import RuleExplorerApp
from widgets.satisfaction_app import SatisfactionApp
from widgets.segmentation_app import SegmentationApp

__all__ = [
    "EvaluationApp",
    "ExperimentApp",
    "LifecycleApp",
    "NetworkApp",
    "OverviewApp",
    "PathsApp",
    "RuleExplorerApp",
    "SatisfactionApp",
    "SegmentationApp",
]
