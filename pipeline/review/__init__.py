"""Reviewers correct the extractions: decisions (SQLite), applying them (pure), the server, gold export.

`decisions` stores every decision (append-only history), `apply` turns the
machine's extractions and the decisions into reviewed ones (every run does it
through the store's writer), `server` is the review web app
(`python -m pipeline review`) and `export` writes reviewed documents as gold.
"""
from __future__ import annotations

from .apply import REVIEW_RULE, ReviewedDocument, ReviewedItem, StaleDecision, apply_decisions
from .decisions import (ACTIONS, Decision, DecisionStore, NewDecision, ReviewError, default_reviewer,
                        default_reviews_path, read_decisions, text_sha256)

__all__ = ["ACTIONS", "REVIEW_RULE", "Decision", "DecisionStore", "NewDecision", "ReviewError", "ReviewedDocument",
           "ReviewedItem", "StaleDecision", "apply_decisions", "default_reviewer", "default_reviews_path",
           "read_decisions", "text_sha256"]
