//! The figures the proof suites report (seeds, cases, attacks): printed for `--nocapture` runs,
//! and appended to `<suite>.txt` under `$MDM_FIGURES_DIR` when it is set, so that CI can show
//! them after `cargo test` has captured the output of passing tests.

use std::io::Write;

pub fn report(suite: &str, line: &str) {
    println!("{line}");
    let Ok(dir) = std::env::var("MDM_FIGURES_DIR") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let written = std::fs::create_dir_all(&dir).and_then(|()| {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(format!("{suite}.txt")))?;
        writeln!(f, "{line}")
    });
    if let Err(e) = written {
        eprintln!(
            "could not record the figures of {suite} in {}: {e}",
            dir.display()
        );
    }
}
