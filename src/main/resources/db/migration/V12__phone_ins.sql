-- Referred people who phone in: a job with no booking is linked to an open referral by the email or phone of its
-- customer, or by the referral code an agent typed into a job custom field. The look-ups go by index, so a poll cycle's
-- cost follows ServiceTitan's changes, not the number of open referrals. Emails trimmed and lower-cased; phones as
-- their digits, without an extension or a leading country code 1 (as servicetitan/ContactValues looks people up).
-- One normaliser for both sides of a match, the referral's and the job customer's: these functions, in the database.
CREATE FUNCTION email_norm(email TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN nullif(lower(btrim(email, E' \t\r\n\u00a0')), '');
CREATE FUNCTION phone_norm(phone TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN nullif(regexp_replace(regexp_replace(
        coalesce(substring(phone FROM '^[-+0-9().\/[:space:]\u00a0\u2000-\u200a\u202f\u205f\u3000]*'), ''),
        '[^0-9]', '', 'g'), '^1([0-9]{10})$', '\1'), '');
ALTER TABLE referral ADD COLUMN email_norm TEXT GENERATED ALWAYS AS (email_norm(email)) STORED;
ALTER TABLE referral ADD COLUMN phone_norm TEXT GENERATED ALWAYS AS (phone_norm(phone)) STORED;
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
