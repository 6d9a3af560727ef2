-- Referrals received from the referral platform, one row per referred person (their code is the key everywhere).
CREATE TABLE referral (
    id            BIGSERIAL PRIMARY KEY,
    code          TEXT        NOT NULL UNIQUE,
    campaign_id   TEXT        NOT NULL,
    first_name    TEXT        NOT NULL,
    last_name     TEXT,
    email         TEXT        NOT NULL,
    phone         TEXT,
    payload       JSONB       NOT NULL,
    state         TEXT        NOT NULL,
    booking_id    BIGINT,
    joined_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT referral_state CHECK (state IN ('received', 'booking_requested', 'booked', 'job_created',
        'pending_review', 'qualified', 'platform_notified', 'not_qualified', 'failed'))
);
CREATE INDEX referral_campaign_joined ON referral (campaign_id, joined_at);
CREATE UNIQUE INDEX referral_booking ON referral (booking_id) WHERE booking_id IS NOT NULL;

-- Each delivered webhook event id, so a redelivery of the same event is recognised before anything else.
CREATE TABLE webhook_event (
    event_id     TEXT        PRIMARY KEY,
    referral_id  BIGINT      NOT NULL REFERENCES referral (id),
    received_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Append-only record of every state change with its cause.
CREATE TABLE referral_history (
    id           BIGSERIAL PRIMARY KEY,
    referral_id  BIGINT      NOT NULL REFERENCES referral (id),
    from_state   TEXT,
    to_state     TEXT        NOT NULL,
    cause        TEXT        NOT NULL,
    at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX referral_history_referral ON referral_history (referral_id, id);

-- Transactional outbox: work on external systems, written in the same transaction as the state that asks for it.
-- One task of a kind per referral, so a duplicate can never be queued.
CREATE TABLE outbox (
    id             BIGSERIAL PRIMARY KEY,
    kind           TEXT        NOT NULL,
    referral_id    BIGINT      NOT NULL REFERENCES referral (id),
    status         TEXT        NOT NULL DEFAULT 'pending',
    attempts       INT         NOT NULL DEFAULT 0,
    claimed_until  TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    done_at        TIMESTAMPTZ,
    CONSTRAINT outbox_status CHECK (status IN ('pending', 'done', 'dead')),
    CONSTRAINT outbox_one_per_referral UNIQUE (kind, referral_id)
);
CREATE INDEX outbox_pending ON outbox (kind, id) WHERE status = 'pending';

-- Persistent dead-letter channel: what failed after its last retry, for an operator to inspect and replay.
CREATE TABLE dead_letter (
    id           BIGSERIAL PRIMARY KEY,
    route_id     TEXT        NOT NULL,
    outbox_id    BIGINT      REFERENCES outbox (id),
    referral_id  BIGINT      REFERENCES referral (id),
    payload      TEXT        NOT NULL,
    cause        TEXT        NOT NULL,
    attempts     INT         NOT NULL,
    failed_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    replayed_at  TIMESTAMPTZ
);
CREATE INDEX dead_letter_open ON dead_letter (id) WHERE replayed_at IS NULL;
