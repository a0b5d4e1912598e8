"""The quality engine's numbers: agreement, truth inference and worker reliability.

Pure numpy/scipy with no database imports, so the same functions serve the product, the
``crewline quality`` command on any CSV, and the benchmarks. Labels arrive as a
:class:`~crewline.quality.data.LabelTable` (one row per label, integer codes).
"""
