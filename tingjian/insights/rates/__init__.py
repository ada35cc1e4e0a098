"""Complaints per 10,000 customers (or transactions) per branch and month: the figure that
decides branch bonuses.

``months`` says what a month is in a branch's local time; ``figures`` reads the live and
the published figures (and defines, once, which complaints count); ``denominators`` and
``csvfile`` take the customer counts from the grid and from CSV files; ``publishing``
freezes a month's figures into a numbered version and records disputes against them.

Must never: change a published version (a correction is a new version), divide by a
missing or zero denominator, or publish a month that is not over.
"""
