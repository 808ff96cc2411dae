//! Server-rendered inline SVG: sparklines and paired bar charts. Each chart has a
//! `<title>` and is drawn in `currentColor` with outline and hatching against solid fill,
//! so it reads the same printed in black and white. Every chart on a page also has a
//! table beside it (in the templates).

use std::fmt::Write;

/// Text for SVG, escaped (askama does not see inside these strings).
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A small line of weekly counts, the last week marked with a dot. Drawn in tenths of a
/// pixel with integer coordinates: the review page draws fifty of these per view, and
/// integers format several times faster than floats.
pub fn sparkline(title: &str, values: &[u64]) -> String {
    const W: u64 = 960;
    const H: u64 = 240;
    const PAD: u64 = 25;
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    let step = if values.len() > 1 {
        (W - 2 * PAD) / (values.len() as u64 - 1)
    } else {
        0
    };
    let point = |i: usize, v: u64| (PAD + step * i as u64, H - PAD - (H - 2 * PAD) * v / max);
    let t = esc(title);
    let mut s = String::with_capacity(240 + t.len());
    // Strokes and fills come from rungs.css (`svg.spark`): fifty per page add up.
    let _ = write!(
        s,
        "<svg class=\"spark\" viewBox=\"0 0 {W} {H}\" width=\"96\" height=\"24\" role=\"img\">\
         <title>{t}</title><path d=\"M0 {base}H{W}\"/><polyline points=\"",
        base = H - PAD,
    );
    for (i, v) in values.iter().enumerate() {
        let (x, y) = point(i, *v);
        let _ = write!(s, "{}{x},{y}", if i > 0 { " " } else { "" });
    }
    let (lx, ly) = values
        .last()
        .map(|v| point(values.len() - 1, *v))
        .unwrap_or((0, H));
    let _ = write!(s, "\"/><circle cx=\"{lx}\" cy=\"{ly}\" r=\"25\"/></svg>");
    s
}

/// Bars of this week (solid) against the baseline (hatched outline), one pair per label.
pub struct PairedBars<'a> {
    /// Unique on the page: names the hatching pattern.
    pub id: &'a str,
    pub title: &'a str,
    pub labels: Vec<String>,
    /// (this week, baseline) per label.
    pub values: &'a [(f64, f64)],
    pub this_week_label: &'a str,
    pub baseline_label: &'a str,
}

pub fn paired_bars(chart: &PairedBars<'_>) -> String {
    let n = chart.values.len().max(1) as f64;
    let (left, top, bottom) = (28.0, 22.0, 18.0);
    let group = if n > 12.0 { 24.0 } else { 56.0 };
    let width = left + group * n + 4.0;
    let plot = 120.0;
    let height = top + plot + bottom;
    let max = chart
        .values
        .iter()
        .map(|(a, b)| a.max(*b))
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let y = |v: f64| top + plot - plot * v / max;
    let id = esc(chart.id);
    let mut s = format!(
        "<svg class=\"bars-chart\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"{id}-t\">\
         <title id=\"{id}-t\">{title}</title>\
         <defs><pattern id=\"{id}-hatch\" width=\"4\" height=\"4\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">\
         <line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"4\" stroke=\"currentColor\" stroke-width=\"1\"/></pattern></defs>",
        title = esc(chart.title),
    );
    // Axis: zero and the maximum, labelled.
    let _ = write!(
        s,
        "<g font-size=\"9\" fill=\"currentColor\"><text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{max}</text>\
         <text x=\"{lx}\" y=\"{zy}\" text-anchor=\"end\">0</text></g>\
         <line x1=\"{left}\" y1=\"{zy0}\" x2=\"{width}\" y2=\"{zy0}\" stroke=\"currentColor\"/>",
        lx = left - 4.0,
        ty = top + 3.0,
        zy = top + plot + 3.0,
        zy0 = top + plot,
        max = fmt_count(max),
    );
    let bar = (group - 6.0) / 2.0;
    for (i, ((this, base), label)) in chart.values.iter().zip(&chart.labels).enumerate() {
        let x = left + group * i as f64 + 2.0;
        let _ = write!(
            s,
            "<g><title>{l}: {tw} / {bl}</title>\
             <rect x=\"{x:.1}\" y=\"{by:.1}\" width=\"{bar:.1}\" height=\"{bh:.1}\" fill=\"url(#{id}-hatch)\" stroke=\"currentColor\" stroke-width=\"0.8\"/>\
             <rect x=\"{x2:.1}\" y=\"{ty:.1}\" width=\"{bar:.1}\" height=\"{th:.1}\" fill=\"currentColor\"/>\
             <text x=\"{cx:.1}\" y=\"{ly:.1}\" font-size=\"9\" text-anchor=\"middle\" fill=\"currentColor\">{l}</text></g>",
            l = esc(label),
            tw = fmt_count(*this),
            bl = fmt_count(*base),
            by = y(*base),
            bh = top + plot - y(*base),
            x2 = x + bar,
            ty = y(*this),
            th = top + plot - y(*this),
            cx = x + bar,
            ly = top + plot + 12.0,
        );
    }
    // Legend: solid is this week, hatched is the baseline.
    let _ = write!(
        s,
        "<g font-size=\"10\" fill=\"currentColor\">\
         <rect x=\"{left}\" y=\"4\" width=\"10\" height=\"10\" fill=\"currentColor\"/>\
         <text x=\"{t1}\" y=\"13\">{a}</text>\
         <rect x=\"{r2}\" y=\"4\" width=\"10\" height=\"10\" fill=\"url(#{id}-hatch)\" stroke=\"currentColor\" stroke-width=\"0.8\"/>\
         <text x=\"{t2}\" y=\"13\">{b}</text></g></svg>",
        t1 = left + 14.0,
        r2 = left + 110.0,
        t2 = left + 124.0,
        a = esc(chart.this_week_label),
        b = esc(chart.baseline_label),
    );
    s
}

/// A goal's weeks: each week's count as a solid bar, its target as a dashed line with a
/// ring at each week (legible in black and white), weeks to come with a ring only.
pub struct TargetBars<'a> {
    pub title: &'a str,
    /// (week label, count if known, target) per week, oldest first.
    pub weeks: &'a [(String, Option<u64>, f64)],
    pub actual_label: &'a str,
    pub target_label: &'a str,
}

pub fn target_bars(chart: &TargetBars<'_>) -> String {
    let n = chart.weeks.len().max(1) as f64;
    let (left, top, bottom) = (28.0, 22.0, 18.0);
    let group = if n > 12.0 { 24.0 } else { 44.0 };
    let width = left + group * n + 4.0;
    let plot = 120.0;
    let height = top + plot + bottom;
    let max = chart
        .weeks
        .iter()
        .map(|(_, a, t)| a.map_or(0.0, |a| a as f64).max(*t))
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let y = |v: f64| top + plot - plot * v / max;
    let mut s = format!(
        "<svg class=\"bars-chart\" viewBox=\"0 0 {width} {height}\" role=\"img\">\
         <title>{title}</title>\
         <g font-size=\"9\" fill=\"currentColor\"><text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{max}</text>\
         <text x=\"{lx}\" y=\"{zy}\" text-anchor=\"end\">0</text></g>\
         <line x1=\"{left}\" y1=\"{zy0}\" x2=\"{width}\" y2=\"{zy0}\" stroke=\"currentColor\"/>",
        title = esc(chart.title),
        lx = left - 4.0,
        ty = top + 3.0,
        zy = top + plot + 3.0,
        zy0 = top + plot,
        max = fmt_count(max),
    );
    let bar = group * 0.5;
    let (mut line, mut rings) = (String::new(), String::new());
    for (i, (label, actual, target)) in chart.weeks.iter().enumerate() {
        let x = left + group * i as f64 + (group - bar) / 2.0;
        let cx = x + bar / 2.0;
        let _ = write!(
            s,
            "<g><title>{l}: {a} / {t}</title>",
            l = esc(label),
            a = actual.map_or("–".into(), |a| a.to_string()),
            t = fmt_count(*target),
        );
        if let Some(a) = actual {
            let a = *a as f64;
            let _ = write!(
                s,
                "<rect x=\"{x:.1}\" y=\"{by:.1}\" width=\"{bar:.1}\" height=\"{bh:.1}\" fill=\"currentColor\" fill-opacity=\"0.55\" stroke=\"currentColor\"/>",
                by = y(a),
                bh = top + plot - y(a),
            );
        }
        let _ = write!(
            s,
            "<text x=\"{cx:.1}\" y=\"{ly:.1}\" font-size=\"9\" text-anchor=\"middle\" fill=\"currentColor\">{l}</text></g>",
            ly = top + plot + 12.0,
            l = esc(label.rsplit('-').next().unwrap_or(label)),
        );
        let _ = write!(
            rings,
            "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"3\" fill=\"#fff\" stroke=\"currentColor\" stroke-width=\"1.5\"/>",
            cy = y(*target),
        );
        let _ = write!(
            line,
            "{}{cx:.1},{:.1}",
            if i > 0 { " " } else { "" },
            y(*target)
        );
    }
    // The target line over the bars and its rings over it, then the legend: solid is
    // the count, the dashed line with rings the target.
    let _ = write!(
        s,
        "<polyline points=\"{line}\" fill=\"none\" stroke=\"currentColor\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>{rings}\
         <g font-size=\"10\" fill=\"currentColor\">\
         <rect x=\"{left}\" y=\"4\" width=\"10\" height=\"10\" fill=\"currentColor\" fill-opacity=\"0.55\" stroke=\"currentColor\"/>\
         <text x=\"{t1}\" y=\"13\">{a}</text>\
         <line x1=\"{r2}\" y1=\"9\" x2=\"{r3}\" y2=\"9\" stroke=\"currentColor\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>\
         <circle cx=\"{rc}\" cy=\"9\" r=\"3\" fill=\"#fff\" stroke=\"currentColor\" stroke-width=\"1.5\"/>\
         <text x=\"{t2}\" y=\"13\">{b}</text></g></svg>",
        t1 = left + 14.0,
        r2 = left + 110.0,
        r3 = left + 130.0,
        rc = left + 120.0,
        t2 = left + 136.0,
        a = esc(chart.actual_label),
        b = esc(chart.target_label),
    );
    s
}

/// A count, or a mean with one decimal (in integers: float formatting is slow).
pub fn fmt_count(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        let tenths = (v * 10.0).round() as i64;
        let sign = if tenths < 0 { "-" } else { "" };
        format!("{sign}{}.{}", tenths.abs() / 10, tenths.abs() % 10)
    }
}

/// A probability with three decimals, "< 0.001" below that.
pub fn fmt_p(p: f64) -> String {
    if p.is_nan() {
        return "–".into();
    }
    let thousandths = (p.clamp(0.0, 1.0) * 1000.0).round() as i64;
    if thousandths == 0 {
        "< 0.001".into()
    } else {
        format!("{}.{:03}", thousandths / 1000, thousandths % 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_escape_their_titles_and_draw_every_bar() {
        let s = sparkline("a <b> & \"c\"", &[1, 2, 3]);
        assert!(s.contains("<title>a &lt;b&gt; &amp; &quot;c&quot;</title>"));
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        let values: Vec<(f64, f64)> = (0..24).map(|h| (h as f64, 2.5)).collect();
        let chart = paired_bars(&PairedBars {
            id: "hours",
            title: "Hour of day",
            labels: (0..24).map(|h| h.to_string()).collect(),
            values: &values,
            this_week_label: "this week",
            baseline_label: "baseline",
        });
        assert_eq!(
            chart.matches("url(#hours-hatch)").count(),
            25,
            "24 bars and the legend"
        );
        assert!(chart.contains("<title>23: 23 / 2.5</title>"));
        assert!(sparkline("empty", &[]).contains("<title>empty</title>"));
        assert!(sparkline("one", &[0, 5]).contains("points=\"25,215 935,25\""));
        let weeks = [
            ("2026-W07".to_string(), Some(36), 35.0),
            ("2026-W08".to_string(), None, 30.0),
        ];
        let goal = target_bars(&TargetBars {
            title: "Goal <week>",
            weeks: &weeks,
            actual_label: "actual",
            target_label: "target",
        });
        assert!(goal.contains("<title>Goal &lt;week&gt;</title>"));
        assert_eq!(
            goal.matches("<circle").count(),
            3,
            "a ring a week and the legend's"
        );
        assert_eq!(
            goal.matches("<rect").count(),
            2,
            "one known week and the legend"
        );
        assert!(goal.contains("<title>2026-W08: – / 30</title>"));
        assert_eq!(fmt_count(6.0), "6");
        assert_eq!(fmt_count(3.75), "3.8");
        assert_eq!(fmt_p(0.0113), "0.011");
        assert_eq!(fmt_p(0.0004), "< 0.001");
        assert_eq!(fmt_p(1.0), "1.000");
    }
}
