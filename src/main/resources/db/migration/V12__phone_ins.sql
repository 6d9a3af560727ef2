-- Referred people who phone in: a job with no booking is linked to an open referral by the email or phone of its
-- customer, or by the referral code an agent typed into a job custom field. The look-ups go by index, so a poll cycle's
-- cost follows ServiceTitan's changes, not the number of open referrals. Normalised as the bridge looks people up
-- (servicetitan/ContactValues): emails trimmed and lower-cased; phones as their digits, without an extension or a
-- leading country code 1.
ALTER TABLE referral ADD COLUMN email_norm TEXT GENERATED ALWAYS AS (lower(btrim(email))) STORED;
ALTER TABLE referral ADD COLUMN phone_norm TEXT GENERATED ALWAYS AS (nullif(regexp_replace(regexp_replace(
    coalesce(substring(phone FROM '^[-+0-9 ().\/]*'), ''), '[^0-9]', '', 'g'), '^1([0-9]{10})$', '\1'), '')) STORED;
ALTER TABLE referral ADD COLUMN matched_by TEXT;
CREATE INDEX referral_open_email ON referral (connection, email_norm) WHERE job_id IS NULL;
CREATE INDEX referral_open_phone ON referral (connection, phone_norm) WHERE job_id IS NULL;

-- A job that matched more than one open referral: linked to none, for an operator to decide.
CREATE TABLE match_review (
    connection TEXT        NOT NULL,
    job_id     BIGINT      NOT NULL,
    candidates TEXT        NOT NULL,
    matched_by TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (connection, job_id)
);
