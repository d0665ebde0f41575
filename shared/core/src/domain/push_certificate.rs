//! A tenant's APNs MDM push certificate as the push settings need it: the topic Apple bound it
//! to (the subject's UID) and when it expires, read with a real X.509 parser, and the rule of
//! which expiry warning (30, 7 and 1 days before) is due next. Pure functions: scheduling and
//! firing the warnings is the use cases' business.

use serde::{Deserialize, Serialize};
use x509_cert::Certificate;
use x509_cert::der::asn1::{Ia5StringRef, ObjectIdentifier, PrintableStringRef, Utf8StringRef};
use x509_cert::der::{Tag, Tagged};

/// The subject attribute Apple puts an MDM push certificate's topic in (userId, RFC 4519).
pub const UID: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.9.2342.19200300.100.1.1");

/// Every MDM push topic starts with this (`com.apple.mgmt.External.<uuid>`).
pub const MDM_TOPIC_PREFIX: &str = "com.apple.mgmt.";

/// Days before expiry at which a warning fires, most distant first. Each fires once per
/// certificate.
pub const WARNING_DAYS: [u32; 3] = [30, 7, 1];

pub const DAY_MS: i64 = 86_400_000;

/// What a push certificate says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateFacts {
    /// The subject's UID: the topic, on a certificate Apple issued for MDM.
    pub uid: Option<String>,
    /// notAfter, in epoch milliseconds.
    pub not_after: i64,
}

/// Reads the first certificate of a PEM bundle (the leaf; a chain may follow it). The error
/// says what is wrong, never quoting the input.
pub fn read(cert_pem: &str) -> Result<CertificateFacts, String> {
    let chain = Certificate::load_pem_chain(cert_pem.as_bytes())
        .map_err(|e| format!("holds no readable X.509 certificate ({e})"))?;
    let leaf = chain.first().ok_or("holds no readable X.509 certificate")?;
    let not_after = leaf.tbs_certificate.validity.not_after.to_unix_duration();
    let uid = leaf
        .tbs_certificate
        .subject
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|attr| attr.oid == UID)
        .map(|attr| {
            let value = &attr.value;
            let text = match value.tag() {
                Tag::Utf8String => value
                    .decode_as::<Utf8StringRef<'_>>()
                    .map(|s| s.to_string()),
                Tag::PrintableString => value
                    .decode_as::<PrintableStringRef<'_>>()
                    .map(|s| s.to_string()),
                Tag::Ia5String => value.decode_as::<Ia5StringRef<'_>>().map(|s| s.to_string()),
                _ => return Err("has a subject UID that is not a string".to_owned()),
            };
            text.map_err(|e| format!("has an unreadable subject UID ({e})"))
        })
        .transpose()?;
    Ok(CertificateFacts {
        uid,
        not_after: i64::try_from(not_after.as_millis()).unwrap_or(i64::MAX),
    })
}

/// Whole days left before `expires_at`, rounded up (a certificate expiring in 29 days and an
/// hour has 30 days left); 0 once expired.
pub fn days_left(expires_at: i64, now: i64) -> i64 {
    if expires_at <= now {
        0
    } else {
        (expires_at - now + DAY_MS - 1) / DAY_MS
    }
}

/// One expiry warning: its threshold and when it is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// 30, 7 or 1: which of `WARNING_DAYS`.
    pub days: u32,
    /// Epoch milliseconds.
    pub due_at: i64,
}

/// The warning to fire next for a certificate expiring at `expires_at`, after the one of
/// `fired` days (None: none fired yet). Of the thresholds already reached only the most urgent
/// fires, at once (a certificate uploaded with 20 days left warns once now, then at 7 and 1
/// days; a sweep that was down for a week does not fire two warnings in a row); otherwise the
/// next threshold fires when it is reached. None once the last fired or the certificate
/// expired.
pub fn next_warning(expires_at: i64, now: i64, fired: Option<u32>) -> Option<Warning> {
    if expires_at <= now {
        return None;
    }
    let pending = WARNING_DAYS
        .into_iter()
        .filter(|days| fired.is_none_or(|fired| *days < fired));
    let due_at = |days: u32| expires_at - i64::from(days) * DAY_MS;
    let reached = pending.clone().filter(|days| due_at(*days) <= now).min();
    match reached {
        Some(days) => Some(Warning { days, due_at: now }),
        None => pending.max().map(|days| Warning {
            days,
            due_at: due_at(days),
        }),
    }
}

/// The threshold a due warning of `days` fires as: the most urgent one reached by now, so a
/// late sweep says how close the expiry really is.
pub fn firing_threshold(expires_at: i64, now: i64, days: u32) -> u32 {
    WARNING_DAYS
        .into_iter()
        .filter(|d| *d <= days && expires_at - i64::from(*d) * DAY_MS <= now)
        .min()
        .unwrap_or(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    #[test]
    fn a_certificate_valid_40_days_warns_at_30_then_7_then_1_days_left() {
        let expires = NOW + 40 * DAY_MS;
        let first = next_warning(expires, NOW, None).unwrap();
        assert_eq!(
            first,
            Warning {
                days: 30,
                due_at: NOW + 10 * DAY_MS
            }
        );
        assert_eq!(days_left(expires, first.due_at), 30);
        let second = next_warning(expires, first.due_at, Some(30)).unwrap();
        assert_eq!((second.days, second.due_at), (7, expires - 7 * DAY_MS));
        let third = next_warning(expires, second.due_at, Some(7)).unwrap();
        assert_eq!((third.days, third.due_at), (1, expires - DAY_MS));
        assert_eq!(next_warning(expires, third.due_at, Some(1)), None);
    }

    #[test]
    fn a_certificate_uploaded_close_to_expiry_warns_once_at_once_for_the_most_urgent_threshold() {
        let expires = NOW + 5 * DAY_MS;
        assert_eq!(
            next_warning(expires, NOW, None),
            Some(Warning {
                days: 7,
                due_at: NOW
            })
        );
        assert_eq!(next_warning(expires, NOW, Some(7)).map(|w| w.days), Some(1));
        assert_eq!(next_warning(NOW, NOW, None), None);
    }

    #[test]
    fn a_late_sweep_fires_the_most_urgent_threshold_reached() {
        let expires = NOW + 3 * DAY_MS;
        assert_eq!(firing_threshold(expires, NOW, 30), 7);
        assert_eq!(firing_threshold(expires, NOW + 2 * DAY_MS + 1, 30), 1);
        assert_eq!(firing_threshold(expires, NOW, 1), 1);
    }

    #[test]
    fn days_left_round_up_and_stop_at_zero() {
        assert_eq!(days_left(NOW + 29 * DAY_MS + 1, NOW), 30);
        assert_eq!(days_left(NOW + 30 * DAY_MS, NOW), 30);
        assert_eq!(days_left(NOW, NOW), 0);
        assert_eq!(days_left(NOW - DAY_MS, NOW), 0);
    }

    fn certificate(subject: &[(rcgen::DnType, &str)], not_after_secs: i64) -> String {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        for (kind, value) in subject {
            params.distinguished_name.push(kind.clone(), *value);
        }
        params.not_after = time::OffsetDateTime::from_unix_timestamp(not_after_secs).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().pem()
    }

    #[test]
    fn the_topic_is_the_subject_uid_and_the_expiry_is_not_after() {
        let uid = rcgen::DnType::CustomDnType(vec![0, 9, 2342, 19200300, 100, 1, 1]);
        let topic = "com.apple.mgmt.External.2f1c3b0e-9a53-4c1e-8f3c-6d1d0f1a2b3c";
        let pem = certificate(
            &[(rcgen::DnType::CommonName, "APSP:2f1c3b0e"), (uid, topic)],
            1_900_000_000,
        );

        assert_eq!(
            read(&pem),
            Ok(CertificateFacts {
                uid: Some(topic.into()),
                not_after: 1_900_000_000_000
            })
        );
        let no_uid = certificate(&[(rcgen::DnType::CommonName, topic)], 1_900_000_000);
        assert_eq!(read(&no_uid).unwrap().uid, None);
    }

    #[test]
    fn a_pem_without_a_certificate_is_refused_without_being_quoted() {
        let error =
            read("-----BEGIN CERTIFICATE-----\nc2VjcmV0\n-----END CERTIFICATE-----\n").unwrap_err();
        assert!(
            error.starts_with("holds no readable X.509 certificate"),
            "{error}"
        );
        assert!(!error.contains("c2VjcmV0"), "{error}");
        assert!(read("no pem at all").is_err());
    }
}
