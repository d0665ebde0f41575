//! The developer's tools around the server, kept out of the composition root (`mdm-app`) so
//! that the local server and the Lambda functions link none of their dependencies: the device
//! simulator (`agent`: simulated Android devices over HTTP, and Apple devices that enrol by
//! profile and SCEP and speak Apple's MDM protocol), used by `mdm-agent`, the benchmark
//! (`mdm-bench`), the load test (`mdm-load`) and the test suites.

pub mod agent;
