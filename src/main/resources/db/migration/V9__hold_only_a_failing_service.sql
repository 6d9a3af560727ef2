-- A queue is held only when its service looks down, not for one task's failure: while other tasks of the queue
-- succeed, a failing task waits its own back-off and the others go on. The last success is written at most once a
-- second per queue, so completions do not all write this row.
ALTER TABLE outbox_hold ADD COLUMN last_success_at TIMESTAMPTZ;
