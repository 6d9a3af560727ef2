-- What the poller has seen of each referral in ServiceTitan, and where its qualification stands.
ALTER TABLE referral
    ADD COLUMN job_id               BIGINT,
    ADD COLUMN job_status           TEXT,
    ADD COLUMN needs_evaluation     BOOLEAN     NOT NULL DEFAULT false,
    ADD COLUMN milestone            TEXT,
    ADD COLUMN qualified_at         TIMESTAMPTZ,
    ADD COLUMN notified_at          TIMESTAMPTZ,
    ADD COLUMN not_qualified_reason TEXT;
CREATE INDEX referral_job ON referral (job_id) WHERE job_id IS NOT NULL;
CREATE INDEX referral_to_evaluate ON referral (id) WHERE needs_evaluation;

-- Invoices of referral jobs (a job can have several); money as exact decimals.
CREATE TABLE referral_invoice (
    invoice_id   BIGINT         PRIMARY KEY,
    referral_id  BIGINT         NOT NULL REFERENCES referral (id),
    total        NUMERIC(14, 2) NOT NULL,
    balance      NUMERIC(14, 2) NOT NULL,
    active       BOOLEAN        NOT NULL DEFAULT true
);
CREATE INDEX referral_invoice_referral ON referral_invoice (referral_id);

-- Where each ServiceTitan export feed was read up to; written in the transaction that applies the page.
CREATE TABLE poll_cursor (
    feed           TEXT        PRIMARY KEY,
    continue_from  TEXT        NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
