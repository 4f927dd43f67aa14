"""Data responsibility for sensitive layers (OCHA Data Responsibility Guidelines, IOM Data
Protection Principles): each layer kind's sensitivity level (``levels``), what a viewer may
see of the layers (``shown``: positions coarsened to a 10 km equal-area grid, or withheld),
and the audit log of exports (``audit``).

Not to be confused with ``mapping.scoring.sensitivity``, the weight-sensitivity analysis of
the ranking."""
