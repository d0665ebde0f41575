//! The provider credentials as a secret store hands them over (JSON), checked when parsed so
//! that a broken secret is reported at start-up, and printed only with the keys redacted.

use std::fmt;

use serde::Deserialize;

use crate::error::ConfigError;
use crate::jwt;

const REDACTED: &str = "<redacted>";

/// A Google service-account key (the JSON downloaded from the Cloud console). Fields FCM does
/// not need (`type`, `client_id`, `auth_uri`, ...) are ignored so the file can be stored as is.
#[derive(Clone, Deserialize)]
#[serde(try_from = "RawFcmCredentials")]
pub struct FcmCredentials {
    pub project_id: String,
    pub client_email: String,
    pub private_key_id: String,
    /// PEM (PKCS#8) RSA key; never printed.
    pub private_key: String,
    pub token_uri: String,
}

#[derive(Deserialize)]
struct RawFcmCredentials {
    project_id: String,
    client_email: String,
    private_key_id: String,
    private_key: String,
    token_uri: String,
}

impl FcmCredentials {
    pub fn from_json(json: &str) -> Result<Self, ConfigError> {
        serde_json::from_str(json).map_err(json_error)
    }

    /// Checks what a hand-built value may get wrong; parsing calls it too.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.signing_key().map(drop)
    }

    /// The checked RS256 key, after the other fields are checked.
    pub(crate) fn signing_key(&self) -> Result<jsonwebtoken::EncodingKey, ConfigError> {
        // The project id is placed in the send URL's path.
        let project_ok = !self.project_id.is_empty()
            && self
                .project_id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !project_ok {
            return Err(ConfigError::invalid(
                "project_id",
                "must be a Google Cloud project id (lowercase letters, digits, hyphens)",
            ));
        }
        if !self.client_email.contains('@') {
            return Err(ConfigError::invalid(
                "client_email",
                "must be the service account's email",
            ));
        }
        if self.private_key_id.is_empty() {
            return Err(ConfigError::invalid("private_key_id", "must not be empty"));
        }
        // The signed assertion is a bearer credential for an hour: only send it over TLS.
        if !self.token_uri.starts_with("https://") {
            return Err(ConfigError::invalid("token_uri", "must be an https:// URL"));
        }
        jwt::rs256_key(&self.private_key).map_err(|p| ConfigError::invalid("private_key", p))
    }
}

impl TryFrom<RawFcmCredentials> for FcmCredentials {
    type Error = ConfigError;

    fn try_from(raw: RawFcmCredentials) -> Result<Self, ConfigError> {
        let creds = FcmCredentials {
            project_id: raw.project_id,
            client_email: raw.client_email,
            private_key_id: raw.private_key_id,
            private_key: raw.private_key,
            token_uri: raw.token_uri,
        };
        creds.validate()?;
        Ok(creds)
    }
}

impl fmt::Debug for FcmCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FcmCredentials")
            .field("project_id", &self.project_id)
            .field("client_email", &self.client_email)
            .field("private_key_id", &self.private_key_id)
            .field("private_key", &REDACTED)
            .field("token_uri", &self.token_uri)
            .finish()
    }
}

/// A tenant's APNs credentials.
#[derive(Clone, Deserialize)]
#[serde(try_from = "RawApnsCredentials")]
pub struct ApnsCredentials {
    pub auth: ApnsAuth,
    /// `apns-topic`: the MDM certificate's topic (`com.apple.mgmt.External.<uuid>`) in
    /// certificate mode, the agent app's bundle id in token mode.
    pub topic: String,
    pub environment: ApnsEnvironment,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApnsCredentials {
    auth: ApnsAuth,
    topic: String,
    environment: ApnsEnvironment,
}

/// How the server proves itself to APNs.
#[derive(Clone, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case", deny_unknown_fields)]
pub enum ApnsAuth {
    /// The tenant's MDM push certificate, presented in the TLS handshake. The only mode Apple
    /// accepts for MDM wake-ups.
    Certificate { cert_pem: String, key_pem: String },
    /// A `.p8` signing key for an agent app's background pushes.
    Token {
        key_p8_pem: String,
        key_id: String,
        team_id: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApnsEnvironment {
    Production,
    Sandbox,
}

impl ApnsEnvironment {
    pub fn base_url(self) -> &'static str {
        match self {
            ApnsEnvironment::Production => "https://api.push.apple.com",
            ApnsEnvironment::Sandbox => "https://api.sandbox.push.apple.com",
        }
    }
}

impl ApnsCredentials {
    pub fn from_json(json: &str) -> Result<Self, ConfigError> {
        serde_json::from_str(json).map_err(json_error)
    }

    /// Checks what a hand-built value may get wrong; parsing calls it too.
    pub fn validate(&self) -> Result<(), ConfigError> {
        // The topic goes into a header.
        if self.topic.is_empty() || !self.topic.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ConfigError::invalid(
                "topic",
                "must be a non-empty topic without spaces",
            ));
        }
        match &self.auth {
            ApnsAuth::Certificate { cert_pem, key_pem } => {
                if !self.topic.starts_with("com.apple.mgmt.") {
                    return Err(ConfigError::invalid(
                        "topic",
                        "an MDM push certificate's topic starts with com.apple.mgmt.",
                    ));
                }
                if !cert_pem.contains("-----BEGIN CERTIFICATE-----") {
                    return Err(ConfigError::invalid(
                        "auth.cert_pem",
                        "holds no PEM certificate",
                    ));
                }
                if !key_pem.contains("PRIVATE KEY-----") {
                    return Err(ConfigError::invalid(
                        "auth.key_pem",
                        "holds no PEM private key",
                    ));
                }
                identity(cert_pem, key_pem)?;
            }
            ApnsAuth::Token {
                key_p8_pem,
                key_id,
                team_id,
            } => {
                for (field, value) in [("auth.key_id", key_id), ("auth.team_id", team_id)] {
                    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
                        return Err(ConfigError::invalid(
                            field,
                            "must be Apple's alphanumeric identifier",
                        ));
                    }
                }
                jwt::es256_key(key_p8_pem)
                    .map_err(|p| ConfigError::invalid("auth.key_p8_pem", p))?;
            }
        }
        Ok(())
    }
}

/// The TLS client identity of certificate mode.
pub(crate) fn identity(cert_pem: &str, key_pem: &str) -> Result<reqwest::Identity, ConfigError> {
    let mut pem = Vec::with_capacity(cert_pem.len() + key_pem.len() + 1);
    pem.extend_from_slice(cert_pem.as_bytes());
    pem.push(b'\n');
    pem.extend_from_slice(key_pem.as_bytes());
    // reqwest's message is generic ("private key or certificate not found"): no key material.
    reqwest::Identity::from_pem(&pem).map_err(|e| ConfigError::invalid("auth", e.to_string()))
}

impl TryFrom<RawApnsCredentials> for ApnsCredentials {
    type Error = ConfigError;

    fn try_from(raw: RawApnsCredentials) -> Result<Self, ConfigError> {
        let creds = ApnsCredentials {
            auth: raw.auth,
            topic: raw.topic,
            environment: raw.environment,
        };
        creds.validate()?;
        Ok(creds)
    }
}

impl fmt::Debug for ApnsCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApnsCredentials")
            .field("auth", &self.auth)
            .field("topic", &self.topic)
            .field("environment", &self.environment)
            .finish()
    }
}

impl fmt::Debug for ApnsAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The certificate is public, but it is printed redacted too: it is long, and a
            // reader cannot tell at a glance which of the two PEMs a log line holds.
            ApnsAuth::Certificate { .. } => f
                .debug_struct("Certificate")
                .field("cert_pem", &REDACTED)
                .field("key_pem", &REDACTED)
                .finish(),
            ApnsAuth::Token {
                key_id, team_id, ..
            } => f
                .debug_struct("Token")
                .field("key_p8_pem", &REDACTED)
                .field("key_id", key_id)
                .field("team_id", team_id)
                .finish(),
        }
    }
}

/// serde_json echoes offending string values in some messages ("invalid type: string ..."),
/// which could be a key: keep only messages that name fields, else just the position.
fn json_error(e: serde_json::Error) -> ConfigError {
    let message = e.to_string();
    let names_a_field = [
        "missing field",
        "unknown field",
        "unknown variant",
        "duplicate field",
    ]
    .iter()
    .any(|m| message.starts_with(m));
    let ours = message.contains(": ") && !message.starts_with("invalid");
    if e.is_data() && (names_a_field || ours) {
        ConfigError::Malformed(message)
    } else {
        ConfigError::Malformed(format!(
            "{:?} error at line {} column {}",
            e.classify(),
            e.line(),
            e.column()
        ))
    }
}
