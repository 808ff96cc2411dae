DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
DELETE FROM scheduled_jobs WHERE name = 'webhooks';
