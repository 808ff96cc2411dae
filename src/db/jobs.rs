//! The scheduler's job rows (`scheduled_jobs`): a lease per job, and what each job has
//! done (the last period finished, the last event read).

use super::DbConn;
use super::schema::scheduled_jobs;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable)]
pub struct JobRow {
    pub name: String,
    pub lease_owner: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
    pub last_run_at: Option<NaiveDateTime>,
    pub last_period: Option<String>,
    pub event_cursor: i64,
    pub runs: i64,
}

/// Take the lease of `job` for `owner` until `until`, if nobody else holds it now.
/// One conditional UPDATE: of several instances asking at once, exactly one gets a row.
pub fn claim(
    conn: &mut DbConn,
    job: &str,
    owner: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    let free = scheduled_jobs::lease_until
        .is_null()
        .or(scheduled_jobs::lease_until.lt(now))
        .or(scheduled_jobs::lease_owner.eq(owner));
    let n = diesel::update(
        scheduled_jobs::table
            .filter(scheduled_jobs::name.eq(job))
            .filter(free),
    )
    .set((
        scheduled_jobs::lease_owner.eq(owner),
        scheduled_jobs::lease_until.eq(until),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Give the lease back (after a run), so that any instance may do the next one.
pub fn release(conn: &mut DbConn, job: &str, owner: &str) -> QueryResult<()> {
    diesel::update(
        scheduled_jobs::table
            .filter(scheduled_jobs::name.eq(job))
            .filter(scheduled_jobs::lease_owner.eq(owner)),
    )
    .set((
        scheduled_jobs::lease_owner.eq(None::<String>),
        scheduled_jobs::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, job: &str) -> QueryResult<Option<JobRow>> {
    scheduled_jobs::table
        .filter(scheduled_jobs::name.eq(job))
        .first(conn)
        .optional()
}

pub fn all(conn: &mut DbConn) -> QueryResult<Vec<JobRow>> {
    scheduled_jobs::table
        .order(scheduled_jobs::name.asc())
        .load(conn)
}

/// A run finished: store what it reached, in the run's own transaction.
pub fn finish(
    conn: &mut DbConn,
    job: &str,
    now: NaiveDateTime,
    period: Option<&str>,
    event_cursor: i64,
) -> QueryResult<()> {
    diesel::update(scheduled_jobs::table.filter(scheduled_jobs::name.eq(job)))
        .set((
            scheduled_jobs::last_run_at.eq(now),
            scheduled_jobs::last_period.eq(period),
            scheduled_jobs::event_cursor.eq(event_cursor),
            scheduled_jobs::runs.eq(scheduled_jobs::runs + 1),
        ))
        .execute(conn)?;
    Ok(())
}
