-- Counts changes to what ServiceTitan has shown of a referral. An evaluation clears needs_evaluation only if no change
-- arrived while it ran (compare-and-set on this number): a poll cycle on another node, or an operator's poll now,
-- can apply a page between an evaluation's read and its write, and that change must be evaluated again, not lost.
ALTER TABLE referral ADD COLUMN facts_version BIGINT NOT NULL DEFAULT 0;
