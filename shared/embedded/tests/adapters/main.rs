//! mdm-embedded's integration tests, in one test binary (one link instead of one per file).

mod housekeeping;
