ALTER TABLE departments DROP COLUMN name_zh;
