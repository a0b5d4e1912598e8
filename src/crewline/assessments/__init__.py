"""Assessments and qualification: gold-graded exams, trial rounds with feedback, tiers, validity.

A candidate's skill is measured against a project's gold items, not inferred from a CV.
``grading`` scores one answer against its key per annotation type and rolls item grades into
dimension scores; ``validity`` asks whether those scores predict live work. Both are pure.
The database side (assessments, attempts, outcomes that move applications, probation and
tiers) builds on them.
"""
