//! mdm-pki's integration tests, in one test binary (one link instead of one per file; the
//! RSA keys of `common` are also made once for all of them).

mod common;

mod certificate_authority;
mod mdm_signature;
mod scep_refusals;
mod scep_round_trip;
mod signing_identity;
