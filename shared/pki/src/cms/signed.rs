//! SignedData with a single RSA signer: building it (SCEP messages, `Mdm-Signature`) and
//! verifying it against the signer certificate it carries.

use cms::cert::CertificateChoices;
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedAttributes, SignedData, SignerIdentifier,
    SignerInfo, SignerInfos,
};
use der::asn1::{Any, OctetString, SetOfVec};
use der::{Decode, Encode, Tag, Tagged};
use rsa::RsaPrivateKey;
use x509_cert::Certificate;
use x509_cert::attr::Attribute;

use crate::certs::rsa_public_key;
use crate::digest::{DigestAlg, rsa_sign, rsa_verify};
use crate::error::PkiError;
use crate::oids;

/// Who signs, and with which digest.
pub(crate) struct Signer<'a> {
    pub key: &'a RsaPrivateKey,
    pub certificate: &'a Certificate,
    pub digest: DigestAlg,
}

/// A signed attribute with one value.
pub(crate) fn attribute(
    oid: der::oid::ObjectIdentifier,
    value: Any,
) -> Result<Attribute, PkiError> {
    let mut values = SetOfVec::new();
    values
        .insert(value)
        .map_err(PkiError::internal("attribute"))?;
    Ok(Attribute { oid, values })
}

/// The DER of a ContentInfo holding SignedData over `content` (of type id-data): the content
/// is carried when `embed`, otherwise the signature is detached. Signed attributes are
/// contentType, messageDigest and `extra`; the signer's certificate travels along.
pub(crate) fn sign(
    signer: &Signer<'_>,
    content: &[u8],
    embed: bool,
    extra: Vec<Attribute>,
) -> Result<Vec<u8>, PkiError> {
    sign_with_chain(signer, content, embed, extra, &[])
}

/// `sign`, with the certificates of `chain` (the signer's issuers) travelling along too, so
/// a verifier that trusts only the root can build the path.
pub(crate) fn sign_with_chain(
    signer: &Signer<'_>,
    content: &[u8],
    embed: bool,
    extra: Vec<Attribute>,
    chain: &[Certificate],
) -> Result<Vec<u8>, PkiError> {
    let content_type = Any::new(Tag::ObjectIdentifier, oids::ID_DATA.as_bytes())
        .map_err(PkiError::internal("contentType"))?;
    let digest = OctetString::new(signer.digest.digest(content))
        .map_err(PkiError::internal("messageDigest"))?;
    let digest = Any::encode_from(&digest).map_err(PkiError::internal("messageDigest"))?;
    let mut attrs = vec![
        attribute(oids::CONTENT_TYPE, content_type)?,
        attribute(oids::MESSAGE_DIGEST, digest)?,
    ];
    attrs.extend(extra);
    let signed_attrs =
        SignedAttributes::try_from(attrs).map_err(PkiError::internal("signed attributes"))?;
    // The signature covers the attributes' DER with the universal SET tag (RFC 5652 §5.4).
    let signed_attrs_der = signed_attrs
        .to_der()
        .map_err(PkiError::internal("signed attributes"))?;
    let signature = rsa_sign(signer.key, signer.digest, &signed_attrs_der)?;

    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(super::issuer_and_serial(signer.certificate)),
        digest_alg: signer.digest.algorithm_identifier(),
        signed_attrs: Some(signed_attrs),
        // Plain rsaEncryption is what OpenSSL, Apple and Go's pkcs7 write here.
        signature_algorithm: spki::AlgorithmIdentifierOwned {
            oid: oids::RSA_ENCRYPTION,
            parameters: Some(Any::null()),
        },
        signature: OctetString::new(signature).map_err(PkiError::internal("signature"))?,
        unsigned_attrs: None,
    };
    let econtent = if embed {
        Some(Any::new(Tag::OctetString, content).map_err(PkiError::internal("content"))?)
    } else {
        None
    };
    let mut certificates = SetOfVec::new();
    for cert in std::iter::once(signer.certificate).chain(chain) {
        certificates
            .insert(CertificateChoices::Certificate(cert.clone()))
            .map_err(PkiError::internal("certificates"))?;
    }
    let mut digest_algorithms = SetOfVec::new();
    digest_algorithms
        .insert(signer.digest.algorithm_identifier())
        .map_err(PkiError::internal("digestAlgorithms"))?;
    let mut signer_infos = SetOfVec::new();
    signer_infos
        .insert(signer_info)
        .map_err(PkiError::internal("signerInfos"))?;
    let signed_data = SignedData {
        version: CmsVersion::V1,
        digest_algorithms,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: oids::ID_DATA,
            econtent,
        },
        certificates: Some(CertificateSet(certificates)),
        crls: None,
        signer_infos: SignerInfos(signer_infos),
    };
    wrap(oids::ID_SIGNED_DATA, &signed_data)
}

/// A ContentInfo of `content_type` around `content`, as DER.
pub(crate) fn wrap<T: der::EncodeValue + der::Tagged>(
    content_type: der::oid::ObjectIdentifier,
    content: &T,
) -> Result<Vec<u8>, PkiError> {
    let content = Any::encode_from(content).map_err(PkiError::internal("ContentInfo"))?;
    ContentInfo {
        content_type,
        content,
    }
    .to_der()
    .map_err(PkiError::internal("ContentInfo"))
}

/// Reads a ContentInfo and checks it holds `content_type`; returns its content.
pub(crate) fn unwrap(
    der: &[u8],
    content_type: der::oid::ObjectIdentifier,
    what: &'static str,
) -> Result<Any, PkiError> {
    let info = ContentInfo::from_der(der).map_err(PkiError::malformed(what))?;
    if info.content_type != content_type {
        return Err(PkiError::Malformed(format!(
            "{what}: content type {} instead of {content_type}",
            info.content_type
        )));
    }
    Ok(info.content)
}

/// A SignedData whose signature verified.
pub(crate) struct Verified {
    pub signer_certificate: Certificate,
    pub digest: DigestAlg,
    /// The signer's signed attributes (empty when it signed the content directly).
    pub signed_attrs: SignedAttributes,
    /// The encapsulated content's octets, when carried.
    pub content: Option<Vec<u8>>,
}

impl Verified {
    /// The single value of signed attribute `oid`.
    pub fn attribute(&self, oid: der::oid::ObjectIdentifier) -> Option<&Any> {
        single_value(&self.signed_attrs, oid)
    }
}

fn single_value(attrs: &SignedAttributes, oid: der::oid::ObjectIdentifier) -> Option<&Any> {
    let attr = attrs.iter().find(|a| a.oid == oid)?;
    match attr.values.as_slice() {
        [value] => Some(value),
        _ => None,
    }
}

/// Verifies a ContentInfo SignedData: its first signer's signature with the certificate the
/// sid names (among the carried certificates and `known`), and the messageDigest over the
/// content (`detached` when given, else the carried content, else nothing). `allow_digest`
/// is asked before any crypto so policy refusals are reported as such.
pub(crate) fn verify(
    der: &[u8],
    detached: Option<&[u8]>,
    known: &[&Certificate],
    allow_digest: impl Fn(DigestAlg) -> Result<(), PkiError>,
) -> Result<Verified, PkiError> {
    let signed_data: SignedData = unwrap(der, oids::ID_SIGNED_DATA, "SignedData")?
        .decode_as()
        .map_err(PkiError::malformed("SignedData"))?;
    let signer_info = signed_data
        .signer_infos
        .0
        .get(0)
        .ok_or_else(|| PkiError::Malformed("SignedData has no signer".into()))?
        .clone();
    let digest = DigestAlg::from_oid(&signer_info.digest_alg.oid)?;
    let named = DigestAlg::from_rsa_signature_oid(&signer_info.signature_algorithm.oid)?;
    if named.is_some_and(|named| named != digest) {
        return Err(PkiError::UnsupportedAlgorithm(format!(
            "signature algorithm {} with digest {}",
            signer_info.signature_algorithm.oid, signer_info.digest_alg.oid
        )));
    }
    allow_digest(digest)?;

    let signer_certificate = find_signer(&signed_data, &signer_info.sid, known)?;
    let public_key = rsa_public_key(&signer_certificate.tbs_certificate.subject_public_key_info)?;

    let content = match &signed_data.encap_content_info.econtent {
        Some(any) if any.tag() == Tag::OctetString => Some(any.value().to_vec()),
        Some(any) => {
            return Err(PkiError::Malformed(format!(
                "encapsulated content is a {} instead of an OCTET STRING",
                any.tag()
            )));
        }
        None => None,
    };
    let digested: &[u8] = detached.or(content.as_deref()).unwrap_or(&[]);

    let signed_attrs = signer_info.signed_attrs.clone().unwrap_or_default();
    let signed_bytes = if signer_info.signed_attrs.is_some() {
        let claimed = single_value(&signed_attrs, oids::MESSAGE_DIGEST)
            .ok_or(PkiError::MissingAttribute("messageDigest"))?;
        let claimed: OctetString = claimed
            .decode_as()
            .map_err(PkiError::malformed("messageDigest"))?;
        if claimed.as_bytes() != digest.digest(digested).as_slice() {
            return Err(PkiError::BadSignature);
        }
        let content_type = single_value(&signed_attrs, oids::CONTENT_TYPE)
            .ok_or(PkiError::MissingAttribute("contentType"))?;
        let content_type: der::oid::ObjectIdentifier = content_type
            .decode_as()
            .map_err(PkiError::malformed("contentType"))?;
        if content_type != signed_data.encap_content_info.econtent_type {
            return Err(PkiError::BadSignature);
        }
        signed_attrs
            .to_der()
            .map_err(PkiError::malformed("signed attributes"))?
    } else {
        digested.to_vec()
    };
    rsa_verify(
        &public_key,
        digest,
        &signed_bytes,
        signer_info.signature.as_bytes(),
    )?;
    Ok(Verified {
        signer_certificate,
        digest,
        signed_attrs,
        content,
    })
}

fn find_signer(
    signed_data: &SignedData,
    sid: &SignerIdentifier,
    known: &[&Certificate],
) -> Result<Certificate, PkiError> {
    let (ias, ski) = match sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => (Some(ias), None),
        SignerIdentifier::SubjectKeyIdentifier(ski) => (None, Some(ski.0.as_bytes())),
    };
    let carried = signed_data
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|choice| match choice {
            CertificateChoices::Certificate(cert) => Some(cert),
            CertificateChoices::Other(_) => None,
        });
    carried
        .chain(known.iter().copied())
        .find(|cert| super::names_certificate(ias, ski, cert))
        .cloned()
        .ok_or_else(|| PkiError::Malformed("the signer's certificate is not included".into()))
}
