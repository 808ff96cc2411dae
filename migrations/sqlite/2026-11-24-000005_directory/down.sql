DELETE FROM settings WHERE key IN ('accounts_version', 'catalog_version');
