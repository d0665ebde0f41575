//! What a load run measures: latency histograms and failures per route, and the process's peak
//! resident memory.

use super::*;

#[derive(Clone, Copy)]
pub(crate) enum Route {
    Checkin,
    Pending,
    Report,
    Queue,
}

impl Route {
    pub(crate) const ALL: [Route; 4] =
        [Route::Checkin, Route::Pending, Route::Report, Route::Queue];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Route::Checkin => "checkin",
            Route::Pending => "pending pull",
            Route::Report => "result report",
            Route::Queue => "queue (admin)",
        }
    }
}

/// Latencies in microseconds and failures per route, kept per worker and merged at the end so
/// recording never contends.
pub(crate) struct Stats {
    pub(crate) latency: Vec<Histogram<u64>>,
    pub(crate) errors: Vec<u64>,
}

impl Stats {
    pub(crate) fn new() -> Self {
        let hist = || Histogram::new_with_bounds(1, 120_000_000, 3).expect("valid bounds");
        Self {
            latency: Route::ALL.iter().map(|_| hist()).collect(),
            errors: vec![0; Route::ALL.len()],
        }
    }

    pub(crate) fn record(&mut self, route: Route, took: Duration, ok: bool) {
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.latency[route as usize].saturating_record(micros.max(1));
        if !ok {
            self.errors[route as usize] += 1;
        }
    }

    pub(crate) fn merge(&mut self, other: &Stats) {
        for (mine, theirs) in self.latency.iter_mut().zip(&other.latency) {
            mine.add(theirs).expect("same bounds");
        }
        for (mine, theirs) in self.errors.iter_mut().zip(&other.errors) {
            *mine += theirs;
        }
    }

    pub(crate) fn total_errors(&self) -> u64 {
        self.errors.iter().sum()
    }
}

pub(crate) async fn timed<T>(
    stats: &mut Stats,
    route: Route,
    call: impl Future<Output = Result<T, CallError>>,
) -> Result<T, CallError> {
    let started = Instant::now();
    let out = call.await;
    stats.record(route, started.elapsed(), out.is_ok());
    out
}

/// The most the process's resident set reached, server and clients together.
pub(crate) fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
