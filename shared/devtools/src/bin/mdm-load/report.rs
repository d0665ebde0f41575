//! What the run prints, and the failures that make it exit non-zero.

use super::*;

pub(crate) fn ms(h: &Histogram<u64>, quantile: f64) -> f64 {
    h.value_at_quantile(quantile) as f64 / 1000.0
}

pub(crate) fn print_routes(stats: &Stats, wall: Duration) {
    let secs = wall.as_secs_f64();
    println!(
        "  {:<14} {:>9} {:>9} {:>7} {:>9} {:>9} {:>9}",
        "route", "requests", "req/s", "errors", "p50 ms", "p99 ms", "max ms"
    );
    let mut all = Histogram::<u64>::new_with_bounds(1, 120_000_000, 3).expect("valid bounds");
    for route in Route::ALL {
        let h = &stats.latency[route as usize];
        all.add(h).expect("same bounds");
        println!(
            "  {:<14} {:>9} {:>9.0} {:>7} {:>9.2} {:>9.2} {:>9.2}",
            route.name(),
            h.len(),
            h.len() as f64 / secs,
            stats.errors[route as usize],
            ms(h, 0.5),
            ms(h, 0.99),
            h.max() as f64 / 1000.0
        );
    }
    println!(
        "  {:<14} {:>9} {:>9.0} {:>7} {:>9.2} {:>9.2} {:>9.2}",
        "all",
        all.len(),
        all.len() as f64 / secs,
        stats.total_errors(),
        ms(&all, 0.5),
        ms(&all, 0.99),
        all.max() as f64 / 1000.0
    );
}

/// Prints up to a few entries of a failure list under its title.
pub(crate) fn print_some(title: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    println!("{title} ({}):", items.len());
    for item in items.iter().take(20) {
        println!("  {item}");
    }
    if items.len() > 20 {
        println!("  ... and {} more", items.len() - 20);
    }
}

/// The reasons the run failed, if any.
pub(crate) fn failures(outcome: &Outcome, d: &Delivery, view: &ServerView) -> Vec<String> {
    let mut why = Vec::new();
    if outcome.timed_out && !d.lost.is_empty() {
        why.push(format!(
            "time bound hit with {} commands undelivered",
            d.lost.len()
        ));
    } else if !d.lost.is_empty() {
        why.push(format!("{} commands lost", d.lost.len()));
    }
    let counts = [
        (d.duplicates.len(), "duplicate deliveries"),
        (d.misdelivered.len(), "commands run on the wrong device"),
        (d.unknown.len(), "commands run that were never queued"),
        (view.not_acknowledged.len(), "commands not acknowledged"),
        (view.still_open.len(), "commands still open"),
        (view.errors.len(), "failed read-back requests"),
        (outcome.stats.total_errors() as usize, "failed requests"),
    ];
    for (n, what) in counts {
        if n > 0 {
            why.push(format!("{n} {what}"));
        }
    }
    if outcome.timed_out && d.lost.is_empty() {
        why.push("time bound hit before the run settled".into());
    }
    why
}
