-- Deadlines (issue 6): each dossier's due date (YYYY-MM-DD, Vietnam time) in working days from
-- its receipt, extended by the time spent waiting for the applicant; NULL while it waits.
-- Recomputed by every move. Indexed for the overdue and due-soon lists.

ALTER TABLE dossiers ADD COLUMN due_on TEXT;
CREATE INDEX dossiers_by_due ON dossiers (due_on, status);
