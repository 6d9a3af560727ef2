-- A service whose reads work while its writes fail (a write path down) is told from one task's own failure by the
-- queue: when another task failed the same way after the queue last completed one, the service is at fault.
ALTER TABLE outbox_hold ADD COLUMN last_done_at TIMESTAMPTZ;
ALTER TABLE outbox_hold ADD COLUMN last_failed_task BIGINT;
ALTER TABLE outbox_hold ADD COLUMN last_failed_at TIMESTAMPTZ;
-- How long a task has been failing (its first failure since it was last armed, revived or completed): a write outage
-- keeps it going for bridge.retry.write-outage-hours from then.
ALTER TABLE outbox ADD COLUMN failing_since TIMESTAMPTZ;
