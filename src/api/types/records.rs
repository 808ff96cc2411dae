//! What the API answers about incidents, clusters and events: the service's views in the
//! shapes the API has always sent, each with its schema.

use crate::domain::ladder::Rung;
use crate::domain::states::{ClusterState, IncidentStatus, JoinReason};
use crate::domain::week::WeekKey;
use crate::service::clusters::{ClusterView, Suggestion, WeekCount};
use crate::service::events::Event;
use crate::service::incidents::IncidentView;
use crate::service::intake::Filed;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// The answer to a filing (201, with `Location`).
#[derive(Debug, Serialize, ToSchema)]
pub struct FiledIncident {
    pub id: i64,
    /// The cluster it joined or started.
    pub cluster_id: Option<i64>,
    /// Whether it joined an existing cluster (else it started a new one).
    pub joined: bool,
    /// The ISO week it counts in, in the organisation's zone.
    #[schema(value_type = String, example = "2026-W49")]
    pub week: WeekKey,
    pub local_hour: u32,
    /// Clusters it resembles.
    pub suggestions: Vec<SuggestedCluster>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestedCluster {
    pub cluster_id: i64,
    pub title: String,
    pub score: f64,
}

impl From<Filed> for FiledIncident {
    fn from(f: Filed) -> Self {
        Self {
            id: f.id,
            cluster_id: f.cluster_id,
            joined: f.joined,
            week: f.week,
            local_hour: f.local_hour,
            suggestions: f.suggestions.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<Suggestion> for SuggestedCluster {
    fn from(s: Suggestion) -> Self {
        Self {
            cluster_id: s.cluster_id,
            title: s.title,
            score: s.score,
        }
    }
}

/// An incident as filed, with where it went and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct Incident {
    pub id: i64,
    pub title: String,
    pub body: String,
    /// The category's slug.
    pub category: String,
    pub category_name_en: String,
    pub category_name_zh: String,
    /// The reporter's login.
    pub reporter: String,
    pub reporter_name: String,
    pub reporter_id: i64,
    pub department: Option<String>,
    pub counterpart: Option<String>,
    pub occurred_at: DateTime<Utc>,
    /// The day in the organisation's zone, `YYYY-MM-DD`.
    pub local_date: String,
    #[schema(example = "2026-W49")]
    pub week: String,
    /// ISO weekday, 1 (Monday) to 7.
    pub weekday: i32,
    pub local_hour: i32,
    pub tags: Vec<String>,
    pub external_ref: Option<String>,
    /// `open`, `handled` or `withdrawn`.
    #[schema(value_type = String, example = "open")]
    pub status: IncidentStatus,
    pub handled_note: Option<String>,
    pub cluster_id: Option<i64>,
    /// How it came to its cluster: `similar`, `rule`, `new` or `lead`.
    #[schema(value_type = Option<String>, example = "similar")]
    pub join_reason: Option<JoinReason>,
    pub join_score: Option<f64>,
    pub join_terms: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<IncidentView> for Incident {
    fn from(v: IncidentView) -> Self {
        Self {
            id: v.id,
            title: v.title,
            body: v.body,
            category: v.category,
            category_name_en: v.category_name_en,
            category_name_zh: v.category_name_zh,
            reporter: v.reporter,
            reporter_name: v.reporter_name,
            reporter_id: v.reporter_id,
            department: v.department,
            counterpart: v.counterpart,
            occurred_at: v.occurred_at,
            local_date: v.local_date,
            week: v.week,
            weekday: v.weekday,
            local_hour: v.local_hour,
            tags: v.tags,
            external_ref: v.external_ref,
            status: v.status,
            handled_note: v.handled_note,
            cluster_id: v.cluster_id,
            join_reason: v.join_reason,
            join_score: v.join_score,
            join_terms: v.join_terms,
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

/// A cluster: one recurring problem and its incidents per week. Times without an
/// offset are UTC.
#[derive(Debug, Serialize, ToSchema)]
pub struct Cluster {
    pub id: i64,
    pub category_id: i64,
    pub title: String,
    pub summary: String,
    pub owner_id: Option<i64>,
    /// `open`, `acting`, `resolved` or `regressed`.
    #[schema(value_type = String, example = "open")]
    pub state: ClusterState,
    /// The rung of the ladder it stands on, 0 to 6.
    #[schema(value_type = i32, minimum = 0, maximum = 6)]
    pub rung: Rung,
    pub confirmed: bool,
    pub dismissed: bool,
    pub merged_into: Option<i64>,
    pub incident_count: i32,
    #[schema(value_type = Option<String>)]
    pub last_incident_at: Option<NaiveDateTime>,
    #[schema(value_type = Option<String>)]
    pub resolved_at: Option<NaiveDateTime>,
    #[schema(value_type = String)]
    pub created_at: NaiveDateTime,
    #[schema(value_type = String)]
    pub updated_at: NaiveDateTime,
    /// The category's slug.
    pub category: String,
    /// The owner's login.
    pub owner: Option<String>,
    /// Incidents per ISO week, oldest first, over the weeks that have any.
    pub weekly: Vec<ClusterWeek>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterWeek {
    pub week: String,
    pub incidents: i32,
}

impl From<ClusterView> for Cluster {
    fn from(v: ClusterView) -> Self {
        let c = v.cluster;
        Self {
            id: c.id,
            category_id: c.category_id,
            title: c.title,
            summary: c.summary,
            owner_id: c.owner_id,
            state: c.state,
            rung: c.rung,
            confirmed: c.confirmed,
            dismissed: c.dismissed,
            merged_into: c.merged_into,
            incident_count: c.incident_count,
            last_incident_at: c.last_incident_at,
            resolved_at: c.resolved_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
            category: v.category,
            owner: v.owner,
            weekly: v.weekly.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<WeekCount> for ClusterWeek {
    fn from(w: WeekCount) -> Self {
        Self {
            week: w.week,
            incidents: w.incidents,
        }
    }
}

/// A merged cluster's id answers 308 with the survivor's address and this body.
#[derive(Debug, Serialize, ToSchema)]
pub struct MergedInto {
    pub merged_into: i64,
}

/// A page of the event log: ask again with `after=next_after` for more.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    pub events: Vec<EventRecord>,
    /// The last id of this page (or `after` when it is empty).
    pub next_after: i64,
}

/// One change, as the trail recorded it in the change's transaction.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Who did it; none when rungs itself did.
    pub actor: Option<String>,
    /// What it happened to: `incident`, `cluster`, `action`, `user`, `token`, …
    pub entity: String,
    pub entity_id: i64,
    /// What happened: `filed`, `merged`, `state_changed`, `stage`, …
    pub action: String,
    /// The entity before the change, as the trail keeps it.
    #[schema(value_type = Value)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Value)]
    pub after: Option<serde_json::Value>,
}

impl From<Event> for EventRecord {
    fn from(e: Event) -> Self {
        Self {
            id: e.id,
            at: e.at,
            actor: e.actor,
            entity: e.entity,
            entity_id: e.entity_id,
            action: e.action,
            before: e.before,
            after: e.after,
        }
    }
}
