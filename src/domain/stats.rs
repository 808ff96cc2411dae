//! Exact binomial tests, Benjamini–Hochberg, and rate-ratio intervals.
//!
//! The binomial density uses Loader's saddle-point form (as R's `dbinom` does):
//! differences of ln-gamma values lose digits once n reaches 10^5–10^6.

use std::f64::consts::PI;

const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;
const LN_2PI: f64 = 1.837_877_066_409_345_5;
/// R's `binom.test` relative tolerance when comparing outcome probabilities.
const REL_ERR: f64 = 1.0 + 1e-7;

pub(super) fn valid_prob(p: f64) -> bool {
    (0.0..=1.0).contains(&p)
}

pub(super) fn positive(v: f64) -> bool {
    v > 0.0 && v.is_finite()
}

/// ln Γ(x), x > 0 (Lanczos g = 7; ~1e-15 relative). Only used for small
/// arguments, where it is accurate enough.
pub(super) fn ln_gamma(x: f64) -> f64 {
    #[rustfmt::skip]
    const C: [f64; 9] = [
        0.999_999_999_999_809_9, 676.520_368_121_885_1, -1_259.139_216_722_402_8,
        771.323_428_777_653_1, -176.615_029_162_140_6, 12.507_343_278_686_905,
        -0.138_571_095_265_720_12, 9.984_369_578_019_572e-6, 1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection keeps accuracy near zero.
        return (PI / (PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let a = C[1..]
        .iter()
        .enumerate()
        .fold(C[0], |acc, (i, c)| acc + c / (x + i as f64 + 1.0));
    LN_SQRT_2PI + (x + 0.5) * t.ln() - t + a.ln()
}

/// ln n! - ((n + 1/2) ln n - n + ln √(2π)): the part Stirling's formula misses.
fn stirlerr(n: f64) -> f64 {
    const S: [f64; 5] = [
        1.0 / 12.0,
        1.0 / 360.0,
        1.0 / 1260.0,
        1.0 / 1680.0,
        1.0 / 1188.0,
    ];
    // Exact values for small integers (mpmath, 40 digits): counts are integers
    // and the ln-gamma difference below loses a few ulps there.
    #[rustfmt::skip]
    const SMALL: [f64; 16] = [
        0.0, 0.081_061_466_795_327_26, 0.041_340_695_955_409_3, 0.027_677_925_684_998_34,
        0.020_790_672_103_765_093, 0.016_644_691_189_821_192, 0.013_876_128_823_070_748,
        0.011_896_709_945_891_77, 0.010_411_265_261_972_096, 0.009_255_462_182_712_733,
        0.008_330_563_433_362_87, 0.007_573_675_487_951_841, 0.006_942_840_107_209_53,
        0.006_408_994_188_004_207, 0.005_951_370_112_758_848, 0.005_554_733_551_962_801,
    ];
    if n <= 15.0 {
        if n.fract() == 0.0 && n >= 1.0 {
            return SMALL[n as usize];
        }
        return ln_gamma(n + 1.0) - (n + 0.5) * n.ln() + n - LN_SQRT_2PI;
    }
    // Asymptotic series, with fewer terms as n grows (R's cut-offs).
    let terms = if n > 500.0 {
        2
    } else if n > 80.0 {
        3
    } else if n > 35.0 {
        4
    } else {
        5
    };
    let nn = n * n;
    S[..terms].iter().rev().fold(0.0, |acc, s| s - acc / nn) / n
}

/// x ln(x/np) + np - x, by series near x = np where the direct form cancels.
fn bd0(x: f64, np: f64) -> f64 {
    if (x - np).abs() < 0.1 * (x + np) {
        let mut v = (x - np) / (x + np);
        let mut s = (x - np) * v;
        let mut ej = 2.0 * x * v;
        v *= v;
        for j in 1..1000 {
            ej *= v;
            let s1 = s + ej / f64::from(2 * j + 1);
            if s1 == s {
                break;
            }
            s = s1;
        }
        return s;
    }
    x * (x / np).ln() + np - x
}

/// Binomial density for real x, n; q = 1 - p is passed so a tiny q keeps its digits.
pub(super) fn dbinom_raw(x: f64, n: f64, p: f64, q: f64) -> f64 {
    if p == 0.0 {
        return if x == 0.0 { 1.0 } else { 0.0 };
    }
    if q == 0.0 {
        return if x == n { 1.0 } else { 0.0 };
    }
    // All failures (or all successes): q^n, via bd0 when q^n's log would lose digits.
    let edge = |p: f64, q: f64| {
        if p < 0.1 {
            -bd0(n, n * q) - n * p
        } else {
            n * q.ln()
        }
    };
    if x == 0.0 {
        return edge(p, q).exp();
    }
    if x == n {
        return edge(q, p).exp();
    }
    if x < 0.0 || x > n {
        return 0.0;
    }
    let lc = stirlerr(n) - stirlerr(x) - stirlerr(n - x) - bd0(x, n * p) - bd0(n - x, n * q);
    let lf = LN_2PI + x.ln() + (-x / n).ln_1p();
    (lc - 0.5 * lf).exp()
}

/// P(X = k), X ~ Binomial(n, p). NaN when p is not a probability.
pub fn binom_pmf(k: u64, n: u64, p: f64) -> f64 {
    if !valid_prob(p) {
        return f64::NAN;
    }
    if k > n {
        return 0.0;
    }
    dbinom_raw(k as f64, n as f64, p, 1.0 - p)
}

/// Σ pmf(i), i = k..=n, for k at or past the mode: terms only shrink, so stop
/// once they no longer change the sum.
fn upper_sum(k: u64, n: u64, p: f64, q: f64) -> f64 {
    let nf = n as f64;
    let mut sum = 0.0;
    for i in k..=n {
        let t = dbinom_raw(i as f64, nf, p, q);
        sum += t;
        if t <= sum * 1e-18 {
            break;
        }
    }
    sum
}

/// P(X >= k). The smaller tail is always the one summed, so both tails keep
/// their relative accuracy.
fn sf_pq(k: u64, n: u64, p: f64, q: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n {
        return 0.0;
    }
    if k as f64 >= n as f64 * p {
        upper_sum(k, n, p, q)
    } else {
        // P(X <= k-1) = P(failures >= n-k+1), and failures ~ Binomial(n, q).
        (1.0 - upper_sum(n - k + 1, n, q, p)).clamp(0.0, 1.0)
    }
}

/// P(X <= k).
fn cdf_pq(k: u64, n: u64, p: f64, q: f64) -> f64 {
    if k >= n { 1.0 } else { sf_pq(n - k, n, q, p) }
}

/// P(X >= k), X ~ Binomial(n, p): 1 for k = 0, 0 for k > n, NaN for a bad p.
pub fn binom_sf(k: u64, n: u64, p: f64) -> f64 {
    if !valid_prob(p) {
        return f64::NAN;
    }
    sf_pq(k, n, p, 1.0 - p)
}

/// P(Y <= k), Y ~ Poisson(mu); NaN for a negative or non-finite mu.
pub fn poisson_cdf(k: u64, mu: f64) -> f64 {
    if mu.is_nan() || mu < 0.0 || mu.is_infinite() {
        return f64::NAN;
    }
    // Loader's Poisson density; e^-mu at 0.
    let pmf = |i: u64| match i {
        0 => (-mu).exp(),
        _ if mu == 0.0 => 0.0,
        _ => (-stirlerr(i as f64) - bd0(i as f64, mu)).exp() / (2.0 * PI * i as f64).sqrt(),
    };
    // Sum the tail on the far side of the mode, where terms only shrink.
    let mut sum = 0.0;
    let below = (k as f64) < mu;
    let mut i = if below { k } else { k + 1 };
    loop {
        let t = pmf(i);
        sum += t;
        if t <= sum * 1e-18 || (below && i == 0) {
            break;
        }
        i = if below { i - 1 } else { i + 1 };
    }
    if below { sum } else { (1.0 - sum).max(0.0) }
}

/// Smallest j in [lo, hi) with `pred(j)`, or hi; pred must be false then true.
fn first_true(mut lo: u64, mut hi: u64, pred: impl Fn(u64) -> bool) -> u64 {
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        (lo, hi) = if pred(mid) { (lo, mid) } else { (mid + 1, hi) };
    }
    lo
}

/// Two-sided exact binomial p-value, as R's `binom.test` and SciPy's
/// `binomtest`: the total probability of outcomes no more likely than x
/// (with relative tolerance 1 + 1e-7), capped at 1. Returns 1 (no evidence)
/// for x > n or p outside [0, 1].
pub fn binom_two_sided(x: u64, n: u64, p: f64) -> f64 {
    if !valid_prob(p) || x > n {
        return 1.0;
    }
    if p == 0.0 {
        return if x == 0 { 1.0 } else { 0.0 };
    }
    if p == 1.0 {
        return if x == n { 1.0 } else { 0.0 };
    }
    let q = 1.0 - p;
    let (xf, nf) = (x as f64, n as f64);
    let m = nf * p;
    if xf == m {
        return 1.0;
    }
    let limit = dbinom_raw(xf, nf, p, q) * REL_ERR;
    // The density is unimodal, so the other tail's boundary is found by bisection.
    let pmf = |j: u64| dbinom_raw(j as f64, nf, p, q);
    let pval = if xf < m {
        // On [ceil(m), n] the density falls: sum from the first j with pmf(j) <= limit.
        let j = first_true(m.ceil() as u64, n + 1, |j| pmf(j) <= limit);
        cdf_pq(x, n, p, q) + sf_pq(j, n, p, q)
    } else {
        // On [0, floor(m)] the density rises: sum below the first j with pmf(j) > limit.
        let j = first_true(0, m.floor() as u64 + 1, |j| pmf(j) > limit);
        let left = if j == 0 { 0.0 } else { cdf_pq(j - 1, n, p, q) };
        left + sf_pq(x, n, p, q)
    };
    pval.min(1.0)
}

/// One-sided p-value of a rise from `last_week` to `this_week`: P(X >= a),
/// X ~ Binomial(a + b, 1/2).
pub fn rise_p_value(this_week: u64, last_week: u64) -> f64 {
    binom_sf(this_week, this_week.saturating_add(last_week), 0.5)
}

/// One-sided p-value against `weeks` earlier weeks totalling `baseline_total`:
/// P(X >= a), X ~ Binomial(a + B, 1/(1 + k)). 1.0 when there is no baseline.
pub fn baseline_p_value(this_week: u64, baseline_total: u64, weeks: u32) -> f64 {
    if weeks == 0 {
        return 1.0;
    }
    let p = 1.0 / (1.0 + f64::from(weeks));
    binom_sf(this_week, this_week.saturating_add(baseline_total), p)
}

/// Benjamini–Hochberg q-values in input order, as R's `p.adjust(p, "BH")`.
/// NaN entries stay NaN and are not counted (R drops NAs the same way).
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    let m = order.len() as f64;
    order.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
    let mut out = vec![f64::NAN; p.len()];
    let mut running = f64::INFINITY;
    for (r, &i) in order.iter().enumerate() {
        let rank = m - r as f64; // ascending rank, 1-based
        running = running.min(m / rank * p[i]);
        out[i] = running.min(1.0);
    }
    out
}

/// Smallest extra count m with `rise_p_value(this_week + m, last_week) < alpha`
/// (the "about m more needed" figure). None if already significant or alpha
/// is not positive.
pub fn needed_for_significance(this_week: u64, last_week: u64, alpha: f64) -> Option<u64> {
    let significant = |m: u64| rise_p_value(this_week.saturating_add(m), last_week) < alpha;
    if alpha.is_nan() || alpha <= 0.0 || significant(0) {
        return None;
    }
    // The p-value falls as this week's count grows: bracket by doubling, then bisect.
    let mut hi = 1u64;
    while !significant(hi) {
        if hi >= 1 << 40 {
            return None;
        }
        hi *= 2;
    }
    Some(first_true(hi / 2 + 1, hi, significant))
}

/// True when no split of the observed total could be a significant rise:
/// even all a + b in this week gives p = 0.5^(a+b), which is >= 0.05 exactly
/// when a + b <= 4.
pub fn too_few_to_tell(this_week: u64, last_week: u64) -> bool {
    this_week.saturating_add(last_week) <= 4
}

#[cfg(test)]
#[path = "stats_tests.rs"]
mod tests;
