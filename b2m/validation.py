"""Input checks with b2m's error messages (parameter, what was expected, what was received).

Public so that code built on b2m — the widgets, a user's own feature space or backend —
fails the same way b2m does.
"""

from __future__ import annotations

from b2m._utils._validation import check_array, check_choice, check_consistent_length

__all__ = ["check_array", "check_choice", "check_consistent_length"]
