-- The ServiceTitan customer a referred person already was, found by email or phone before the booking was made.
ALTER TABLE referral ADD COLUMN customer_id BIGINT;
