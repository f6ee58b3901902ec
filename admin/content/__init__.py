"""Content screens: the FAQ editor and its tools (preview, try a question), the knowledge-base overview and the
unanswered-questions inbox. Imports `knowledge` and `bot` services; never another admin area's views.
"""
