//! The statistics against answers computed independently (written into each test).

use super::*;

fn close(got: f64, want: f64, rel: f64) {
    let err = (got - want).abs() / want.abs().max(f64::MIN_POSITIVE);
    assert!(err <= rel, "got {got:e}, want {want:e} (rel err {err:e})");
}

#[test]
fn pmf_matches_scipy() {
    // scipy.stats.binom.pmf(k, n, p), SciPy 1.17.1
    let cases: [(u64, u64, f64, f64); 8] = [
        (3, 20, 0.5, 0.0010871887207031228),
        (2500, 5000, 0.5, 0.011283227495479853),
        (500_000, 1_000_000, 0.5, 0.0007978843613317499),
        (300_000, 1_000_000, 0.3, 0.0008705631546366814),
        (0, 1_000_000, 1e-6, 0.3678792572316454),
        (5, 1_000_000, 1e-6, 0.0030656451486279945),
        (999, 1000, 0.999, 0.36806348825922336),
        (1000, 1000, 0.999, 0.36769542477096373),
    ];
    for (k, n, p, want) in cases {
        close(binom_pmf(k, n, p), want, 1e-12);
    }
    assert_eq!(binom_pmf(4, 3, 0.5), 0.0);
    assert_eq!(binom_pmf(0, 0, 0.5), 1.0);
    assert!(binom_pmf(1, 3, 1.5).is_nan());
}

#[test]
fn sf_matches_exact_and_scipy() {
    // 299/4096 by hand: (C(12,9)+C(12,10)+C(12,11)+C(12,12)) / 2^12
    close(binom_sf(9, 12, 0.5), 0.072998046875, 1e-14);
    // scipy.stats.binom.sf(k - 1, n, p), i.e. P(X >= k)
    let cases: [(u64, u64, f64, f64); 8] = [
        (2600, 5000, 0.5, 0.002441824868758747),
        (2800, 5000, 0.5, 1.1145923994282679e-17),
        (10, 1_000_000, 1e-6, 1.1142142328861856e-07),
        (1, 5000, 1e-6, 0.00498752329485054),
        (3, 20, 0.5, 0.9997987747192383),
        (999, 1000, 0.999, 0.7357589130301869),
        (501_000, 1_000_000, 0.5, 0.0228041499326948),
        (499_000, 1_000_000, 0.5, 0.9773038320453267),
    ];
    for (k, n, p, want) in cases {
        close(binom_sf(k, n, p), want, 1e-10);
    }
    assert_eq!(binom_sf(0, 10, 0.3), 1.0);
    assert_eq!(binom_sf(11, 10, 0.3), 0.0);
    assert_eq!(binom_sf(0, 0, 0.5), 1.0);
    assert_eq!(binom_sf(1, 10, 0.0), 0.0);
    assert_eq!(binom_sf(10, 10, 1.0), 1.0);
}

#[test]
fn two_sided_matches_binomtest() {
    // scipy.stats.binomtest(x, n, p).pvalue, SciPy 1.17.1
    let cases: [(u64, u64, f64, f64); 14] = [
        (3, 20, 0.5, 0.0025768280029296875), // R binom.test(3, 20): 0.002577
        (7, 30, 0.4, 0.06476399510651554),
        (17, 30, 0.4, 0.09163583176350382),
        (0, 10, 0.3, 0.0388396033),
        (10, 10, 0.3, 5.9048999999999975e-06),
        (2480, 5000, 0.5, 0.5812656850350469),
        (2600, 5000, 0.5, 0.004883649737517494),
        (5, 10, 0.5, 1.0),
        (1, 1000, 0.001, 1.0),
        (9, 12, 0.5, 0.14599609375),
        (0, 12, 0.5, 0.00048828125),
        (4, 1000, 0.001, 0.0189268334503604),
        (12, 5000, 0.001, 0.0054283873818053),
        (499, 1000, 0.5, 0.9747749818216395),
    ];
    for (x, n, p, want) in cases {
        close(binom_two_sided(x, n, p), want, 1e-9);
    }
    // scipy.stats.binomtest(3, 11, 4/12).pvalue = 1.0 (tolerance includes the mode)
    close(binom_two_sided(3, 11, 4.0 / 12.0), 1.0, 1e-12);
    assert_eq!(binom_two_sided(0, 0, 0.5), 1.0);
    assert_eq!(binom_two_sided(0, 5, 0.0), 1.0);
    assert_eq!(binom_two_sided(1, 5, 0.0), 0.0);
    assert_eq!(binom_two_sided(4, 5, 1.0), 0.0);
    assert_eq!(binom_two_sided(6, 5, 0.5), 1.0);
    assert_eq!(binom_two_sided(2, 5, f64::NAN), 1.0);
}

#[test]
fn rise_and_baseline() {
    close(rise_p_value(9, 3), 299.0 / 4096.0, 1e-14); // by hand, as above
    close(rise_p_value(5, 0), 1.0 / 32.0, 1e-14); // 0.5^5
    assert_eq!(rise_p_value(0, 0), 1.0);
    assert_eq!(rise_p_value(0, 7), 1.0);
    // scipy.stats.binom.sf(5, 22, 1/9)
    close(baseline_p_value(6, 16, 8), 0.029177611181247974, 1e-12);
    assert_eq!(baseline_p_value(6, 16, 0), 1.0);
}

#[test]
fn bh_matches_p_adjust() {
    // scipy.stats.false_discovery_control(p) (= R p.adjust(p, "BH"))
    let q = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.005, 0.20]);
    for (g, w) in q.iter().zip([0.025, 0.05, 0.05, 0.025, 0.2]) {
        close(*g, w, 1e-12);
    }
    let p = [0.02, 0.001, 0.5, 0.02, 0.049, 0.9, 0.03];
    let want = [
        0.14 / 3.0,
        0.007,
        1.75 / 3.0,
        0.14 / 3.0,
        0.0686,
        0.9,
        0.0525,
    ];
    for (g, w) in benjamini_hochberg(&p).iter().zip(want) {
        close(*g, w, 1e-12);
    }
    assert_eq!(benjamini_hochberg(&[0.6, 1.0]), vec![1.0, 1.0]);
    assert_eq!(benjamini_hochberg(&[1.5]), vec![1.0]); // capped
    assert!(benjamini_hochberg(&[]).is_empty());
    // NaN is skipped and not counted: q of 0.02 alone is 0.02
    let q = benjamini_hochberg(&[f64::NAN, 0.02]);
    assert!(q[0].is_nan());
    assert_eq!(q[1], 0.02);
}

#[test]
fn needed_and_too_few() {
    // brute force in Python: smallest m with binom.sf(a+m-1, a+m+b, 0.5) < 0.05
    assert_eq!(needed_for_significance(5, 3, 0.05), Some(5));
    assert_eq!(needed_for_significance(0, 0, 0.05), Some(5));
    assert_eq!(needed_for_significance(9, 3, 0.05), Some(1));
    assert_eq!(needed_for_significance(20, 14, 0.05), Some(6));
    assert_eq!(needed_for_significance(3, 10, 0.05), Some(17));
    assert_eq!(needed_for_significance(40, 25, 0.05), None); // p = 0.0408
    assert_eq!(needed_for_significance(3, 3, 0.0), None);
    assert_eq!(needed_for_significance(3, 3, f64::NAN), None);
    assert!(too_few_to_tell(2, 2));
    assert!(too_few_to_tell(4, 0));
    assert!(!too_few_to_tell(5, 0));
    assert!(!too_few_to_tell(3, 2));
}

#[test]
fn poisson_cdf_matches_scipy() {
    // scipy.stats.poisson.cdf(k, mu)
    close(poisson_cdf(3, 2.5), 0.7575761331330662, 1e-12);
    close(poisson_cdf(0, 2.5), 0.0820849986238988, 1e-12);
    close(poisson_cdf(80, 120.0), 6.649277271013526e-05, 1e-10);
    close(poisson_cdf(130, 120.0), 0.8314816133118815, 1e-12);
    assert_eq!(poisson_cdf(0, 0.0), 1.0);
    assert!(poisson_cdf(2, -1.0).is_nan());
}
