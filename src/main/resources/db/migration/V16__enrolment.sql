-- Enrolment: a customer whose work was completed is added to a referral campaign as a referrer, once per customer and
-- campaign (the unique key), crash-safe through the outbox like every external call. A row is owed by the poll (a job
-- that met the campaign's enrolment rule) or by a backfill page, with its outbox task, in the same transaction.
-- No name, email or phone is kept here: the task reads them from ServiceTitan when it runs.
CREATE TABLE enrolment (
    id            BIGSERIAL PRIMARY KEY,
    connection    TEXT        NOT NULL,
    campaign_id   TEXT        NOT NULL,
    customer_id   BIGINT      NOT NULL,
    job_id        BIGINT      NOT NULL,
    completed_at  TIMESTAMPTZ,
    backfill_id   BIGINT,
    state         TEXT        NOT NULL DEFAULT 'pending',
    reason        TEXT,
    referral_code TEXT,
    referral_link TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    done_at       TIMESTAMPTZ,
    CONSTRAINT enrolment_state CHECK (state IN ('pending', 'enrolled', 'skipped', 'failed')),
    CONSTRAINT enrolment_once UNIQUE (connection, campaign_id, customer_id)
);
CREATE INDEX enrolment_by_backfill ON enrolment (backfill_id, state) WHERE backfill_id IS NOT NULL;
CREATE INDEX enrolment_done ON enrolment (done_at) WHERE done_at IS NOT NULL;

-- An operator's one-off enrolment of the customers with jobs completed in a date range. It pages through ServiceTitan's
-- jobs; each page is applied with the number of the next one, so a crash repeats at most one page (its enrolments are
-- unique per customer) and the backfill goes on where it was.
CREATE TABLE enrolment_backfill (
    id             BIGSERIAL PRIMARY KEY,
    connection     TEXT        NOT NULL,
    campaign_id    TEXT        NOT NULL,
    completed_from TIMESTAMPTZ NOT NULL,
    completed_to   TIMESTAMPTZ NOT NULL,
    next_page      INT         NOT NULL DEFAULT 1,
    jobs_total     INT,
    jobs_read      INT         NOT NULL DEFAULT 0,
    state          TEXT        NOT NULL DEFAULT 'reading',
    started_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    read_at        TIMESTAMPTZ,
    last_error     TEXT,
    CONSTRAINT enrolment_backfill_state CHECK (state IN ('reading', 'enrolling', 'canceled'))
);

-- An outbox task is owed for a referral or for an enrolment, one task of a kind per subject.
ALTER TABLE outbox ALTER COLUMN referral_id DROP NOT NULL;
ALTER TABLE outbox ADD COLUMN enrolment_id BIGINT REFERENCES enrolment (id);
ALTER TABLE outbox ADD CONSTRAINT outbox_one_subject CHECK ((referral_id IS NULL) <> (enrolment_id IS NULL));
ALTER TABLE outbox ADD CONSTRAINT outbox_one_per_enrolment UNIQUE (kind, enrolment_id);
ALTER TABLE dead_letter ADD COLUMN enrolment_id BIGINT REFERENCES enrolment (id);
-- A customer who was referred (not enrolled when enrol-referred-customers=false) is found by index.
CREATE INDEX referral_customer ON referral (connection, customer_id) WHERE customer_id IS NOT NULL;
