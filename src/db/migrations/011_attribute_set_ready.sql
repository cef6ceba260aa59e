-- Which attribute set an install's Intercom attributes were created for (a hash of their names and types), beside
-- when. A release that adds attributes (STRIPE_collection_paused, say) finds another set recorded, or none (releases
-- before this column recorded only the time), and creates the new attributes before writing them: otherwise every
-- write of an install prepared by the older release is refused ("Custom attribute ... does not exist").
ALTER TABLE installs ADD COLUMN attributes_ready_for text;
