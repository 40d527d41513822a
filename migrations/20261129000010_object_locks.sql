-- Object Lock (issue 7): until when each object is locked in the bucket (RFC 3339), as far as
-- motcua has set or seen it; NULL while it has not been locked yet. A background pass locks
-- the objects still NULL (after a crash between a commit and its lock, or once Object Lock is
-- turned on for a bucket that already holds objects).
ALTER TABLE objects ADD COLUMN locked_until TEXT;
