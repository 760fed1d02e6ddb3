"""ANCT staff pages, one module per subject: the queue, an offer's review, recruiter accounts,
the journal, statistics and the CSV export."""
