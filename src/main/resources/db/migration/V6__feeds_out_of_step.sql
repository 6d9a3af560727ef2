-- ServiceTitan's export feeds are not consistent with each other: an invoice can come before the job that links it to
-- a referral. Invoices are kept by (connection, job) as they come; the evaluation joins them to the referral whose job
-- it is, whenever that link arrives. Rows of jobs that never become a referral's are pruned after a retention window.
CREATE TABLE job_invoice (
    connection  TEXT           NOT NULL,
    invoice_id  BIGINT         NOT NULL,
    job_id      BIGINT         NOT NULL,
    total       NUMERIC(14, 2) NOT NULL,
    balance     NUMERIC(14, 2) NOT NULL,
    active      BOOLEAN        NOT NULL DEFAULT true,
    updated_at  TIMESTAMPTZ    NOT NULL DEFAULT now(),
    PRIMARY KEY (connection, invoice_id)
);
CREATE INDEX job_invoice_job ON job_invoice (connection, job_id);
CREATE INDEX job_invoice_updated ON job_invoice (updated_at);

INSERT INTO job_invoice (connection, invoice_id, job_id, total, balance, active)
SELECT r.connection, i.invoice_id, r.job_id, i.total, i.balance, i.active
FROM referral_invoice i JOIN referral r ON r.id = i.referral_id
WHERE r.job_id IS NOT NULL
ON CONFLICT DO NOTHING;
DROP TABLE referral_invoice;

-- The booking's own status (New, Accepted, Converted, Dismissed): a dismissed booking has no job to wait for.
ALTER TABLE referral ADD COLUMN booking_status TEXT;
