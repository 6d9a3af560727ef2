-- Several referral platforms in one deployment (bridge.platforms): each referral remembers the platform it came from,
-- whose queue tells it (one platform's outage delays no other's notices).
ALTER TABLE referral ADD COLUMN platform TEXT NOT NULL DEFAULT 'default';
