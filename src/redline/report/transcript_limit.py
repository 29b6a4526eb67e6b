"""How many transcripts an HTML report embeds by default.

A module of its own so that a campaign's settings (``max_transcripts``) can name
the default without importing the renderer, its templates and the analysis.
"""

# Enough to review (every failure of a typical run fits), few enough that a
# 100k-attempt report stays a few MB and rendering it holds a bounded number of
# transcripts in memory.
EMBEDDED_TRANSCRIPTS = 2000
