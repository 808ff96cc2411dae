DROP TABLE meeting_decisions;
DROP TABLE meeting_attendees;
DROP TABLE meetings;
