DROP TABLE coach_dismissals;
DROP TABLE action_comments;
DROP TABLE action_weights;
DROP TABLE action_signoffs;
DROP TABLE action_departments;
DROP TABLE action_steps;
DROP TABLE actions;
