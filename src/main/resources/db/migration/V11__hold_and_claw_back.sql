-- Hold and claw-back. platform_told is what the referral platform was last told (null: nothing yet): a notice tells it
-- the referral's current truth once per change, and a change made while a notice was on its way is followed by
-- another. The notice's round numbers its re-arming (qualify, unqualify, qualify again), each with its own
-- Idempotency-Key.
ALTER TABLE referral ADD COLUMN platform_told BOOLEAN;
-- The value of a notice that was sent and whose answer was not recorded (a lost answer, a crash): it may have arrived.
ALTER TABLE referral ADD COLUMN platform_sending BOOLEAN;
UPDATE referral SET platform_told = true WHERE notified_at IS NOT NULL;
ALTER TABLE outbox ADD COLUMN round INT NOT NULL DEFAULT 1;
-- A referral told, then clawed back: unqualified.
ALTER TABLE referral DROP CONSTRAINT referral_state;
ALTER TABLE referral ADD CONSTRAINT referral_state CHECK (state IN ('received', 'booking_requested', 'booked',
    'job_created', 'pending_review', 'qualified', 'platform_notified', 'not_qualified', 'unqualified', 'failed'));
