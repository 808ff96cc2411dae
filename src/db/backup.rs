//! Online backup of the SQLite file (PostgreSQL has pg_dump for that).

use super::DbConn;
use diesel::RunQueryDsl;

pub fn to_file(conn: &mut DbConn, path: &str) -> Result<(), String> {
    match conn {
        DbConn::Sqlite(_) => {
            if std::path::Path::new(path).exists() {
                return Err(format!("{path} exists already; choose a new file"));
            }
            // VACUUM INTO takes a consistent copy while others keep reading and writing.
            let quoted = path.replace('\'', "''");
            diesel::sql_query(format!("VACUUM INTO '{quoted}'"))
                .execute(conn)
                .map(|_| ())
                .map_err(|e| format!("backup failed: {e}"))
        }
        DbConn::Pg(_) => Err("on PostgreSQL, back up with pg_dump".into()),
    }
}
