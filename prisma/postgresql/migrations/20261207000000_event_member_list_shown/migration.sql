-- Whether the group showed its member list when each event happened (GroupEvent.memberListShown): events
-- written while the list was hidden stay hidden after it is shown again. Events already in the log count as
-- shown, so they are judged by the group's setting now, as before. A column added with a constant default
-- (no copy of the log: SQLite and PostgreSQL both add it in place).
ALTER TABLE "GroupEvent" ADD COLUMN "memberListShown" BOOLEAN NOT NULL DEFAULT true;
