DELETE FROM scheduled_jobs WHERE name = 'goals';
DROP INDEX goal_behind_week;
DROP TABLE goal_behind;
DROP TABLE action_goals;
