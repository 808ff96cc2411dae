DROP TRIGGER users_counts ON users;
DROP TRIGGER api_tokens_counts ON api_tokens;
DROP TRIGGER departments_counts ON departments;
DROP TRIGGER categories_counts ON categories;
DROP TRIGGER cluster_rules_counts ON cluster_rules;
DROP FUNCTION rungs_count_change();
