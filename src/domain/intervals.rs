//! The regularized incomplete beta function and its quantile, and the exact interval of
//! a rate ratio built on them (R's two-sample `poisson.test`).

use super::stats::{dbinom_raw, ln_gamma, positive, valid_prob};

/// x^a (1-x)^b / B(a, b), via the binomial density when a, b > 2 (R's dbeta
/// does the same) so large parameters keep their digits.
fn beta_front(x: f64, a: f64, b: f64) -> f64 {
    if a > 2.0 && b > 2.0 {
        x * (1.0 - x) * (a + b - 1.0) * dbinom_raw(a - 1.0, a + b - 2.0, x, 1.0 - x)
    } else {
        let lbeta = ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b);
        (a * x.ln() + b * (-x).ln_1p() - lbeta).exp()
    }
}

/// Continued fraction for the incomplete beta (modified Lentz, Numerical Recipes §6.4).
fn beta_cf(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let guard = |v: f64| if v.abs() < TINY { TINY } else { v };
    let mut c = 1.0;
    let mut d = 1.0 / guard(1.0 - (a + b) * x / (a + 1.0));
    let mut h = d;
    for m in 1..=100_000 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((a - 1.0 + m2) * (a + m2));
        d = 1.0 / guard(1.0 + aa * d);
        c = guard(1.0 + aa / c);
        h *= d * c;
        let aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1.0 + m2));
        d = 1.0 / guard(1.0 + aa * d);
        c = guard(1.0 + aa / c);
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() <= f64::EPSILON {
            break;
        }
    }
    h
}

/// Regularized incomplete beta I_x(a, b) = P(Beta(a, b) <= x). NaN for a, b <= 0.
pub fn reg_inc_beta(x: f64, a: f64, b: f64) -> f64 {
    if !positive(a) || !positive(b) || x.is_nan() {
        return f64::NAN;
    }
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    // The fraction converges fast only below the mean; use symmetry above it.
    if x < (a + 1.0) / (a + b + 2.0) {
        beta_front(x, a, b) * beta_cf(x, a, b) / a
    } else {
        1.0 - beta_front(1.0 - x, b, a) * beta_cf(1.0 - x, b, a) / b
    }
}

/// Quantile of Beta(a, b), by bisection to full f64 resolution: slower than
/// Newton but cannot diverge, and a CI needs only a handful of calls.
pub fn beta_quantile(prob: f64, a: f64, b: f64) -> f64 {
    if !positive(a) || !positive(b) || !valid_prob(prob) {
        return f64::NAN;
    }
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    if prob == 0.0 || prob == 1.0 {
        return prob;
    }
    for _ in 0..2000 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        (lo, hi) = if reg_inc_beta(mid, a, b) < prob {
            (mid, hi)
        } else {
            (lo, mid)
        };
    }
    0.5 * (lo + hi)
}

/// Exact conditional CI for the rate ratio (y/t2)/(x/t1): Clopper–Pearson on
/// y/(x+y), mapped through π/(1-π)·t1/t2 (R's two-sample `poisson.test`).
/// Upper is +∞ when x = 0. None when x + y = 0, a time is not positive, or
/// level is outside (0, 1).
pub fn rate_ratio_ci(x: u64, t1: f64, y: u64, t2: f64, level: f64) -> Option<(f64, f64)> {
    if (x == 0 && y == 0) || !positive(t1) || !positive(t2) || !(level > 0.0 && level < 1.0) {
        return None;
    }
    let tail = (1.0 - level) / 2.0;
    let (xf, yf, scale) = (x as f64, y as f64, t1 / t2);
    let lower = if y == 0 {
        0.0
    } else {
        let p = beta_quantile(tail, yf, xf + 1.0);
        p / (1.0 - p) * scale
    };
    // Upper π taken through its complement 1-π ~ Beta(x, y+1): keeps digits near π = 1.
    let upper = if x == 0 {
        f64::INFINITY
    } else {
        let c = beta_quantile(tail, xf, yf + 1.0);
        (1.0 - c) / c * scale
    };
    Some((lower, upper))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::stats::binom_sf;

    fn close(got: f64, want: f64, rel: f64) {
        let err = (got - want).abs() / want.abs().max(f64::MIN_POSITIVE);
        assert!(err <= rel, "got {got:e}, want {want:e} (rel err {err:e})");
    }

    #[test]
    fn incomplete_beta_and_quantile() {
        // scipy.stats.beta.cdf / beta.ppf
        close(reg_inc_beta(0.3, 2.5, 7.3), 0.6642381992386518, 1e-12);
        close(reg_inc_beta(0.001, 0.5, 0.5), 0.020135041633377492, 1e-12);
        close(reg_inc_beta(0.5002, 5000.5, 5000.0), 0.51396009695724, 1e-9);
        close(beta_quantile(0.025, 2.5, 7.3), 0.05050434517636552, 1e-10);
        close(beta_quantile(0.975, 0.5, 0.5), 0.9984586668665639, 1e-10);
        close(beta_quantile(0.5, 1.0, 1e6), 6.931469403334938e-07, 1e-10);
        // Identity I_p(k, n-k+1) = P(X >= k), X ~ Binomial(n, p)
        for (k, n, p) in [(3u64, 20u64, 0.2), (40, 100, 0.5), (2600, 5000, 0.51)] {
            close(
                reg_inc_beta(p, k as f64, (n - k + 1) as f64),
                binom_sf(k, n, p),
                1e-9,
            );
        }
        assert!(reg_inc_beta(0.5, 0.0, 1.0).is_nan());
        assert!(beta_quantile(1.2, 1.0, 1.0).is_nan());
    }

    #[test]
    fn rate_ratio_ci_matches_clopper_pearson() {
        // binomtest(y, x+y).proportion_ci(method="exact") mapped by p/(1-p)*t1/t2;
        // equals R poisson.test(c(y, x), c(t2, t1))$conf.int
        let cases: [(u64, f64, u64, f64, f64, f64); 5] = [
            (20, 4.0, 8, 4.0, 0.15238773523755078, 0.948058205046436),
            (5, 4.0, 0, 4.0, 0.0, 1.091279105182546),
            (4000, 8.0, 1500, 4.0, 0.7063209117983515, 0.7960561467447264),
            (12, 8.0, 3, 3.0, 0.12072763628125878, 2.4703418499138796),
            (1, 1.0, 1, 1.0, 0.01273936708392707, 78.49683531465821),
        ];
        for (x, t1, y, t2, lo, hi) in cases {
            let (l, h) = rate_ratio_ci(x, t1, y, t2, 0.95).expect("defined");
            close(l, lo, 1e-9);
            close(h, hi, 1e-9);
        }
        let (l, h) = rate_ratio_ci(0, 4.0, 5, 4.0, 0.95).expect("defined");
        close(l, 0.91635585731546, 1e-9);
        assert!(h.is_infinite());
        // same method at confidence_level=0.90
        let (l, h) = rate_ratio_ci(10, 4.0, 14, 4.0, 0.90).expect("defined");
        close(l, 0.6577838963126083, 1e-9);
        close(h, 3.058628856272997, 1e-9);
        assert_eq!(rate_ratio_ci(0, 4.0, 0, 4.0, 0.95), None);
        assert_eq!(rate_ratio_ci(3, 0.0, 2, 4.0, 0.95), None);
        assert_eq!(rate_ratio_ci(3, 4.0, 2, 4.0, 1.0), None);
    }
}
