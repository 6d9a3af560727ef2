-- The phone-in look-ups' indexes hold only the normalised value. Led by the connection (one value in most
-- deployments), either index served either look-up by that column alone: without fresh statistics (after a bulk load,
-- before autovacuum's ANALYZE) the planner took the phone index for an email look-up and filtered every open referral,
-- 47 ms a job at 100,000 open referrals instead of well under 1 ms. The connection is checked on the few rows found.
DROP INDEX referral_open_email;
DROP INDEX referral_open_phone;
CREATE INDEX referral_open_email ON referral (email_norm) WHERE job_id IS NULL;
CREATE INDEX referral_open_phone ON referral (phone_norm) WHERE job_id IS NULL;
