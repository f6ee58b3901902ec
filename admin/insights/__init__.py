"""Insights: the dashboard screen, the metrics it shows, their charts and the grouping of unanswered questions into
themes. Read-only over the database.
"""
