-- One backfill of a campaign reads at a time, decided by the database between concurrent starts (a check before the
-- insert let two through). Backfills that slipped through before are canceled, the oldest goes on.
UPDATE enrolment_backfill b SET state = 'canceled'
WHERE state = 'reading' AND EXISTS (SELECT 1 FROM enrolment_backfill o
                                    WHERE o.campaign_id = b.campaign_id AND o.state = 'reading' AND o.id < b.id);
CREATE UNIQUE INDEX enrolment_backfill_one_reading ON enrolment_backfill (campaign_id) WHERE state = 'reading';
