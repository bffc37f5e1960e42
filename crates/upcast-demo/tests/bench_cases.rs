//! Every bench case reads what it is given: a case that failed would measure an error path.

use upcast_demo::invoice::Size;
use upcast_demo::perf::{Inputs, all_cases, all_ratios, case};

#[test]
fn every_bench_case_succeeds_on_the_small_payload() {
    let inputs = Inputs::new(Size::Small);
    let failing: Vec<&str> = all_cases()
        .filter(|case| !(case.run)(&inputs))
        .map(|case| case.name)
        .collect();
    assert!(failing.is_empty(), "failing cases: {failing:?}");
}

#[test]
fn every_ratio_names_two_cases() {
    for &(numerator, denominator, _) in all_ratios() {
        assert!(case(numerator).is_some(), "no case `{numerator}`");
        assert!(case(denominator).is_some(), "no case `{denominator}`");
    }
}
