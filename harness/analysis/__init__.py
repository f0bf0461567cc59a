"""Every number of the report, computed from the store as plain data (no rendering here)."""

from harness.analysis._data import SuiteData, load_suite_data, problem_label, suite_runs
from harness.analysis.contenders import LEVELS, contender_label, observations
from harness.analysis.cost import CostPoint, GapRow, cost_points, overfitting_gaps
from harness.analysis.curves import ProblemCurves, anytime_curves, best_so_far_at, run_traces
from harness.analysis.importance import Importance, stored_importances
from harness.analysis.leaderboard import (
    LeaderboardRow,
    detail_means,
    leaderboard,
    test_scores_by_strategy,
)
from harness.analysis.learning import LearningCurve, learning_curve_of, learning_curve_of_best
from harness.analysis.normalized import NormalizedScores, normalized_scores
from harness.analysis.recommend import (
    Recommendation,
    Verdict,
    recommend,
    suite_verdict,
    verdict_plain,
)
from harness.analysis.regularization import RegularizationSummary, regularization_summary
from harness.analysis.standings import Standing
from harness.analysis.statistics import (
    CriticalDifference,
    PairwiseResult,
    critical_difference,
    holm,
    pairwise_comparisons,
    win_tie_loss,
    win_tie_loss_counts,
)

__all__ = [
    "LEVELS", "CostPoint", "CriticalDifference", "GapRow", "Importance", "LeaderboardRow",
    "LearningCurve", "NormalizedScores", "PairwiseResult", "ProblemCurves", "Recommendation",
    "RegularizationSummary", "Standing", "SuiteData", "Verdict",
    "anytime_curves", "detail_means", "best_so_far_at", "contender_label", "cost_points",
    "critical_difference", "holm", "leaderboard",
    "learning_curve_of", "learning_curve_of_best", "load_suite_data", "normalized_scores",
    "observations", "overfitting_gaps", "pairwise_comparisons", "problem_label", "recommend",
    "regularization_summary", "run_traces", "stored_importances", "suite_runs", "suite_verdict",
    "test_scores_by_strategy", "verdict_plain", "win_tie_loss", "win_tie_loss_counts",
]
