//! The ladder page of a cluster (incidents per week with every launch marked, the rungs
//! climbed and their verdicts, levels 7 to 10 faintly above) and the team's maturity page.

use super::ok;
use super::session::{PageCtx, Signed};
use crate::app_state::AppState;
use crate::domain::ladder::Rung;
use crate::domain::states::ActionStage;
use crate::error::AppResult;
use crate::service;
use crate::service::effects::EffectView;
use crate::service::ladder::ActionRow;
use actix_web::{HttpResponse, web};
use askama::Template;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/ladder", web::get().to(team))
        .route("/clusters/{id}/ladder", web::get().to(cluster));
}

/// One bar of the weekly chart.
pub struct Bar {
    pub week: String,
    pub incidents: i32,
    pub x: i32,
    pub y: i32,
    pub height: i32,
    /// Rungs launched that week.
    pub launches: Vec<Rung>,
    /// A goal's target that week, and where its mark is drawn.
    pub target: Option<f64>,
    pub target_y: i32,
}

const CHART_H: i32 = 160;
const BAR_W: i32 = 14;

#[derive(Template)]
#[template(path = "ladder/cluster.html")]
struct ClusterLadder {
    page: PageCtx,
    cluster: crate::service::clusters::ClusterRow,
    bars: Vec<Bar>,
    width: i32,
    max: i32,
    actions: Vec<(ActionRow, Option<EffectView>)>,
    /// Whether any week has a goal's target marked.
    targets: bool,
}

impl ClusterLadder {
    fn num(&self, v: &f64) -> String {
        service::report::goals::number(*v)
    }

    fn climbed(&self, rung: &Rung) -> bool {
        self.actions
            .iter()
            .any(|(a, _)| a.rung == *rung && a.stage == ActionStage::Launched)
    }

    fn rungs_top_down(&self) -> Vec<Rung> {
        Rung::ALL.iter().rev().copied().collect()
    }

    fn chart_h(&self) -> i32 {
        CHART_H
    }
}

async fn cluster(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let tz = user.known.timezone;
    let service::ladder::ClusterHistory {
        cluster,
        weeks: weekly,
        actions,
        targets,
    } = service::run(&state.pool, move |conn| {
        service::ladder::history(conn, id, tz, chrono::Utc::now())
    })
    .await?;
    let top_target = weekly
        .iter()
        .filter_map(|(w, _)| targets.get(w))
        .fold(0.0_f64, |a, b| a.max(*b))
        .ceil() as i32;
    let max = weekly
        .iter()
        .map(|(_, n)| *n)
        .max()
        .unwrap_or(0)
        .max(top_target)
        .max(1);
    let bars: Vec<Bar> = weekly
        .iter()
        .enumerate()
        .map(|(i, (w, n))| {
            let height = n * (CHART_H - 20) / max;
            let target = targets.get(w).copied();
            Bar {
                week: w.to_string(),
                incidents: *n,
                x: 30 + i as i32 * BAR_W,
                y: CHART_H - height,
                height,
                launches: actions
                    .iter()
                    .filter(|(a, _)| {
                        a.launched_on.map(crate::domain::week::WeekKey::of) == Some(*w)
                    })
                    .map(|(a, _)| a.rung)
                    .collect(),
                target,
                target_y: CHART_H
                    - (target.unwrap_or(0.0) * f64::from(CHART_H - 20) / f64::from(max)).round()
                        as i32,
            }
        })
        .collect();
    let width = 40 + bars.len() as i32 * BAR_W;
    let targets = bars.iter().any(|b| b.target.is_some());
    ok(&ClusterLadder {
        page: user.page,
        cluster,
        bars,
        width,
        max,
        actions,
        targets,
    })
}

#[derive(Template)]
#[template(path = "ladder/team.html")]
struct TeamPage {
    page: PageCtx,
    team: service::retro::TeamLadder,
}

impl TeamPage {
    /// `part` of `whole` as a percentage, or a dash when there is no whole.
    fn share(&self, part: &i64, whole: &i64) -> String {
        if *whole == 0 {
            "—".into()
        } else {
            format!("{:.0}%", *part as f64 * 100.0 / *whole as f64)
        }
    }

    fn width(&self, n: &i64) -> i64 {
        let max = self
            .team
            .rungs
            .iter()
            .map(|r| r.standing)
            .max()
            .unwrap_or(0)
            .max(1);
        n * 100 / max
    }
}

async fn team(state: web::Data<AppState>, user: Signed) -> AppResult<HttpResponse> {
    let tz = user.known.timezone;
    let team = service::run(&state.pool, move |conn| {
        service::retro::team_ladder(conn, tz, chrono::Utc::now())
    })
    .await?;
    ok(&TeamPage {
        page: user.page,
        team,
    })
}
