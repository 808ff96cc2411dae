DROP TABLE audit_events;
DROP TABLE incident_tags;
DROP TABLE incidents;
DROP TABLE api_tokens;
DROP TABLE users;
DROP TABLE categories;
DROP TABLE departments;
DROP TABLE settings;
