"""ANCT staff pages, one module per subject: the queue, an offer's review, recruiter accounts,
the journal, statistics, the CSV export and the team's territories."""
