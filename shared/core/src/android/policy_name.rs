//! The AMAPI policy id of an effective policy version: the policy is named by what it holds,
//! so devices whose effective documents are equal share `enterprises/{e}/policies/{id}`, and
//! a device's `appliedPolicyName` says which of our versions it applied.

use sha2::{Digest, Sha256};

/// Longest version kept readable in the id; ours are 16 hex digits, with schedules a `w` and a
/// mask of up to four more.
const MAX_READABLE: usize = 60;

/// The policy id of an effective version (`<fingerprint>` or `<fingerprint>w<mask>`): `v-`
/// and the version. The prefix keeps any version from naming AMAPI's special `default`
/// policy; a version that is not plain letters and digits (never one of ours) is hashed so that
/// the id stays within `[A-Za-z0-9_-]`.
pub fn policy_id(version: &str) -> String {
    let plain = !version.is_empty()
        && version.len() <= MAX_READABLE
        && version.bytes().all(|b| b.is_ascii_alphanumeric());
    if plain {
        format!("v-{version}")
    } else {
        let digest = Sha256::digest(version.as_bytes());
        format!("h-{}", crate::apple::hex(&digest[..16]))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::policy::PolicyDocument;

    /// AMAPI's policy id characters, at a length well within what its resource names take.
    fn valid(id: &str) -> bool {
        (1..=64).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }

    fn version_of(v: serde_json::Value) -> String {
        serde_json::from_value::<PolicyDocument>(v)
            .unwrap()
            .fingerprint()
    }

    #[test]
    fn equal_documents_share_a_policy_id_and_different_ones_do_not() {
        let a = version_of(json!({"restrictions": {"camera_disabled": true}}));
        let b = version_of(json!({"restrictions": {"camera_disabled": true}}));
        let c = version_of(json!({"restrictions": {"camera_disabled": false}}));
        assert_eq!(policy_id(&a), policy_id(&b));
        assert_ne!(policy_id(&a), policy_id(&c));
        // With schedules, which windows are open is part of the version, hence of the id.
        assert_ne!(policy_id(&format!("{a}w0")), policy_id(&format!("{a}w1")));
    }

    #[test]
    fn a_policy_id_keeps_the_version_readable_and_fits_amapi_naming() {
        let v = version_of(json!({"passcode": {"min_length": 6, "complexity": "any"}}));
        assert_eq!(policy_id(&v), format!("v-{v}"));
        assert!(valid(&policy_id(&v)));
        assert!(valid(&policy_id(&format!("{v}w3ff"))));
    }

    #[test]
    fn an_odd_version_is_hashed_into_a_valid_id_and_never_names_the_default_policy() {
        for odd in ["", "default", "a/b", "é", &"f".repeat(200)] {
            let id = policy_id(odd);
            assert!(valid(&id), "{odd:?} gave {id}");
            assert_ne!(id, "default");
        }
        assert_ne!(policy_id("a/b"), policy_id("a_b"));
        assert_eq!(policy_id("default"), "v-default");
    }
}
