-- A department's name in Chinese, shown to readers of Chinese (empty: its name).
ALTER TABLE departments ADD COLUMN name_zh TEXT NOT NULL DEFAULT '';

UPDATE departments SET name_zh = '销售' WHERE slug = 'sales' AND name_zh = '';
UPDATE departments SET name_zh = '审批' WHERE slug = 'approval' AND name_zh = '';
UPDATE departments SET name_zh = '产品' WHERE slug = 'product' AND name_zh = '';
UPDATE departments SET name_zh = '人力资源' WHERE slug = 'hr' AND name_zh = '';
UPDATE departments SET name_zh = '运营' WHERE slug = 'operations' AND name_zh = '';
