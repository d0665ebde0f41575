//! The application claims of a token (`sub`, `tenant`, `role`) and their parsing into an
//! `Identity`: the only place a `TenantId` for tenant routes is born. A platform operator's
//! token has `role: "platform_operator"` and no tenant claim at all, so it can never be read
//! as a tenant user's.

use serde::Deserialize;

use super::header::unauthenticated;
use mdm_ports::error::Error;
use mdm_ports::ids::{Role, TenantId};
use mdm_ports::{Identity, Operator, PLATFORM_OPERATOR, Principal};

/// Subjects become store keys (a user's own devices), so they are bounded and printable.
const MAX_SUBJECT_BYTES: usize = 256;

/// The claims we read beyond the registered ones jsonwebtoken validates. Each is optional here
/// so that a missing one gets its own reason rather than a generic parse error.
#[derive(Debug, Deserialize)]
pub(crate) struct TenantClaims {
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    tenant: Option<String>,
    #[serde(default)]
    role: Option<String>,
}

impl TenantClaims {
    /// Reasons name the claim but never quote its value, which the token's author chose.
    pub(crate) fn into_identity(self) -> Result<Identity, Error> {
        let subject = self
            .sub
            .ok_or_else(|| unauthenticated("the token has no sub claim"))?;
        if subject.is_empty()
            || subject.len() > MAX_SUBJECT_BYTES
            || subject.chars().any(char::is_control)
        {
            return Err(unauthenticated(
                "the sub claim is not an acceptable subject",
            ));
        }
        if self.role.as_deref() == Some(PLATFORM_OPERATOR) {
            // A tenant claim next to the platform role is ambiguous: refused, not guessed at.
            if self.tenant.is_some() {
                return Err(unauthenticated(
                    "a platform_operator token must not carry a tenant claim",
                ));
            }
            return Ok(Identity::Platform(Operator { subject }));
        }
        let tenant = self
            .tenant
            .ok_or_else(|| unauthenticated("the token has no tenant claim"))?;
        let tenant = TenantId::parse(&tenant)
            .map_err(|_| unauthenticated("the tenant claim is not a valid tenant id"))?;
        let role = self
            .role
            .ok_or_else(|| unauthenticated("the token has no role claim"))?;
        let role = Role::parse(&role)
            .ok_or_else(|| unauthenticated("the role claim is not a known role"))?;
        Ok(Identity::Tenant(Principal {
            tenant,
            subject,
            role,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(sub: Option<&str>, tenant: Option<&str>, role: Option<&str>) -> TenantClaims {
        TenantClaims {
            sub: sub.map(Into::into),
            tenant: tenant.map(Into::into),
            role: role.map(Into::into),
        }
    }

    #[test]
    fn complete_claims_become_a_principal() {
        let Identity::Tenant(p) = claims(Some("alice"), Some("acme"), Some("operator"))
            .into_identity()
            .unwrap()
        else {
            panic!("expected a tenant user");
        };
        assert_eq!(p.tenant.as_str(), "acme");
        assert_eq!(p.subject, "alice");
        assert_eq!(p.role, Role::Operator);
    }

    #[test]
    fn a_subject_that_is_empty_huge_or_has_control_characters_is_refused() {
        let huge = "a".repeat(MAX_SUBJECT_BYTES + 1);
        for sub in ["", huge.as_str(), "al\nice"] {
            let r = claims(Some(sub), Some("acme"), Some("admin")).into_identity();
            assert!(matches!(r, Err(Error::Unauthenticated(_))), "{sub:?}");
        }
    }

    #[test]
    fn a_refusal_never_quotes_the_claim_value() {
        let Err(Error::Unauthenticated(reason)) =
            claims(Some("a"), Some("<script>"), Some("admin")).into_identity()
        else {
            panic!("expected a refusal");
        };
        assert!(!reason.contains("<script>"));
    }

    #[test]
    fn a_platform_operator_token_has_no_tenant_and_is_not_a_tenant_user() {
        let id = claims(Some("ops"), None, Some("platform_operator"))
            .into_identity()
            .unwrap();
        assert_eq!(
            id,
            Identity::Platform(Operator {
                subject: "ops".into()
            })
        );
        let r = claims(Some("ops"), Some("acme"), Some("platform_operator")).into_identity();
        assert!(matches!(r, Err(Error::Unauthenticated(_))));
    }
}
