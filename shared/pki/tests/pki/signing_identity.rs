//! Profile signing: an identity from PEM signs content as CMS SignedData that carries it.

use mdm_pki::signing::signed_content;
use mdm_pki::{CertificateAuthority, SigningIdentity};

fn identity_pem(name: &str) -> String {
    CertificateAuthority::generate(name, "Acme", 1_700_000_000, 365)
        .expect("a CA")
        .to_pem()
}

#[test]
fn a_signed_profile_carries_the_profile_and_verifies_with_the_signer_it_names() {
    let pem = identity_pem("Acme profile signer");
    let identity = SigningIdentity::from_pem(&pem, &pem).expect("an identity");
    assert_eq!(identity.common_name.as_deref(), Some("Acme profile signer"));
    assert_eq!(identity.not_after, 1_700_000_000 + 365 * 86_400);
    let profile = b"<?xml version=\"1.0\"?><plist version=\"1.0\"><dict/></plist>";
    let signed = identity.sign(profile).expect("signed");
    assert_eq!(signed_content(&signed).expect("verified"), profile);
    // A changed byte inside breaks the signature.
    let at = signed
        .windows(profile.len())
        .position(|w| w == profile)
        .expect("the profile is inside");
    let mut tampered = signed.clone();
    tampered[at + 10] ^= 1;
    assert!(signed_content(&tampered).is_err());
}

#[test]
fn issuers_given_after_the_signer_travel_with_the_signature() {
    let signer = identity_pem("Signer");
    let issuer = identity_pem("Issuer");
    let issuer_cert = &issuer[..issuer.find("-----BEGIN PRIVATE KEY").expect("key block")];
    let with_chain = format!("{signer}\n{issuer_cert}");
    let identity = SigningIdentity::from_pem(&with_chain, &signer).expect("an identity");
    let alone = SigningIdentity::from_pem(&signer, &signer).expect("an identity");
    let (a, b) = (identity.sign(b"x").unwrap(), alone.sign(b"x").unwrap());
    assert!(a.len() > b.len() + 300, "{} vs {}", a.len(), b.len());
    assert_eq!(signed_content(&a).unwrap(), b"x");
}

#[test]
fn a_key_that_is_not_the_certificate_s_or_no_certificate_at_all_is_refused() {
    let one = identity_pem("One");
    let two = identity_pem("Two");
    let err = SigningIdentity::from_pem(&one, &two).unwrap_err();
    assert!(err.to_string().contains("does not match"), "{err}");
    assert!(SigningIdentity::from_pem("no pem here", &one).is_err());
    assert!(SigningIdentity::from_pem(&one, "no key here").is_err());
}
