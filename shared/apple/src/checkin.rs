//! Check-in messages, which a device PUTs to the CheckInURL to enrol, refresh its push token and
//! leave, and the bodies the server answers some of them with.
//!
//! Which keys are required follows Apple's check-in schemas, softened where real devices differ:
//! the schemas call `DeviceName`, `Model` and `ModelName` required in Authenticate, yet iOS sends
//! none of them; they call `NotOnConsole` required in TokenUpdate, yet only macOS sends it; and
//! they list both `UDID` and `EnrollmentID` as required where a device sends exactly one of them.

use plist::{Dictionary, Value};

use crate::body::read_dict;
use crate::fields::Fields;
use crate::render::xml;
use crate::{FormatError, MAX_CHECKIN_BYTES};

/// Who a message is about: the device channel (UDID, or EnrollmentID for user enrolment) or, on
/// macOS and Shared iPad, a user channel (UserID or EnrollmentUserID present).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Enrollment {
    pub udid: Option<String>,
    pub enrollment_id: Option<String>,
    pub user_id: Option<String>,
    pub user_short_name: Option<String>,
    pub user_long_name: Option<String>,
    /// The user of a user enrolment on macOS (`EnrollmentUserID`), the user-enrolment
    /// counterpart of `user_id`.
    pub enrollment_user_id: Option<String>,
}

impl Enrollment {
    /// Whether the message comes from a user channel rather than the device channel.
    pub fn is_user_channel(&self) -> bool {
        self.user_id.is_some() || self.enrollment_user_id.is_some()
    }

    /// UDID or EnrollmentID of the device.
    pub fn device_id(&self) -> Option<&str> {
        self.udid.as_deref().or(self.enrollment_id.as_deref())
    }

    /// Reads the identifying keys every check-in message and command response carries; one of
    /// `UDID` and `EnrollmentID` must be present, or the message is about no one.
    pub(crate) fn read(fields: &Fields<'_>) -> Result<Self, FormatError> {
        let enrollment = Enrollment {
            udid: fields.string("UDID")?,
            enrollment_id: fields.string("EnrollmentID")?,
            user_id: fields.string("UserID")?,
            user_short_name: fields.string("UserShortName")?,
            user_long_name: fields.string("UserLongName")?,
            enrollment_user_id: fields.string("EnrollmentUserID")?,
        };
        if enrollment.device_id().is_none() {
            return Err(fields.missing("UDID"));
        }
        Ok(enrollment)
    }
}

/// One check-in message, by its `MessageType`.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckinMessage {
    Authenticate(Authenticate),
    TokenUpdate(TokenUpdate),
    CheckOut(CheckOut),
    UserAuthenticate(UserAuthenticate),
    SetBootstrapToken(SetBootstrapToken),
    GetBootstrapToken(GetBootstrapToken),
    DeclarativeManagement(DeclarativeManagement),
    GetToken(GetToken),
}

/// The first message of an enrolment: the device introduces itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticate {
    pub enrollment: Enrollment,
    pub topic: String,
    pub serial_number: Option<String>,
    pub model: Option<String>,
    pub model_name: Option<String>,
    pub product_name: Option<String>,
    pub os_version: Option<String>,
    pub build_version: Option<String>,
    pub imei: Option<String>,
    pub meid: Option<String>,
    pub device_name: Option<String>,
}

/// The device's (or user's) push token, sent after Authenticate and whenever it changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenUpdate {
    pub enrollment: Enrollment,
    pub topic: String,
    pub token: Vec<u8>,
    pub push_magic: String,
    pub unlock_token: Option<Vec<u8>>,
    pub awaiting_configuration: bool,
    pub not_on_console: bool,
}

/// The device is leaving (sent only when the MDM profile says CheckOutWhenRemoved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOut {
    pub enrollment: Enrollment,
    pub topic: Option<String>,
}

/// A macOS user logging in asks whether the server will manage their user channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAuthenticate {
    pub enrollment: Enrollment,
    /// Absent on the first request of the exchange; present on the second, answering the
    /// server's DigestChallenge.
    pub digest_response: Option<String>,
}

/// A Mac escrowing its bootstrap token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetBootstrapToken {
    pub enrollment: Enrollment,
    /// `None` when the key is absent or empty: Apple's instruction is to remove the stored token.
    pub bootstrap_token: Option<Vec<u8>>,
    pub awaiting_configuration: bool,
}

/// A Mac asking for its escrowed bootstrap token; answered with [`bootstrap_token_response`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetBootstrapToken {
    pub enrollment: Enrollment,
}

/// A declarative-management request carried over the check-in channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclarativeManagement {
    pub enrollment: Enrollment,
    pub endpoint: Option<String>,
    pub data: Option<Vec<u8>>,
}

/// A request for a service token (`com.apple.maid`, `com.apple.watch.pairing`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetToken {
    pub enrollment: Enrollment,
    pub token_service_type: String,
}

impl CheckinMessage {
    /// Who the message is about.
    pub fn enrollment(&self) -> &Enrollment {
        match self {
            CheckinMessage::Authenticate(m) => &m.enrollment,
            CheckinMessage::TokenUpdate(m) => &m.enrollment,
            CheckinMessage::CheckOut(m) => &m.enrollment,
            CheckinMessage::UserAuthenticate(m) => &m.enrollment,
            CheckinMessage::SetBootstrapToken(m) => &m.enrollment,
            CheckinMessage::GetBootstrapToken(m) => &m.enrollment,
            CheckinMessage::DeclarativeManagement(m) => &m.enrollment,
            CheckinMessage::GetToken(m) => &m.enrollment,
        }
    }

    /// The `MessageType` the message arrived with.
    pub fn message_type(&self) -> &'static str {
        match self {
            CheckinMessage::Authenticate(_) => "Authenticate",
            CheckinMessage::TokenUpdate(_) => "TokenUpdate",
            CheckinMessage::CheckOut(_) => "CheckOut",
            CheckinMessage::UserAuthenticate(_) => "UserAuthenticate",
            CheckinMessage::SetBootstrapToken(_) => "SetBootstrapToken",
            CheckinMessage::GetBootstrapToken(_) => "GetBootstrapToken",
            CheckinMessage::DeclarativeManagement(_) => "DeclarativeManagement",
            CheckinMessage::GetToken(_) => "GetToken",
        }
    }
}

/// Parses a check-in body: an XML or binary plist of at most [`MAX_CHECKIN_BYTES`] whose top
/// level is a dictionary with a known `MessageType`.
pub fn parse(body: &[u8]) -> Result<CheckinMessage, FormatError> {
    let dict = read_dict(body, MAX_CHECKIN_BYTES)?;
    let f = Fields::new(&dict);
    let message_type = f.req_string("MessageType")?;
    // The type is checked before the identity so that an unknown message is reported as such,
    // not as a missing UDID.
    if !KNOWN_TYPES.contains(&message_type.as_str()) {
        return Err(FormatError::UnknownMessageType(message_type));
    }
    let enrollment = Enrollment::read(&f)?;
    Ok(match message_type.as_str() {
        "Authenticate" => CheckinMessage::Authenticate(Authenticate {
            enrollment,
            topic: f.req_string("Topic")?,
            serial_number: f.string("SerialNumber")?,
            model: f.string("Model")?,
            model_name: f.string("ModelName")?,
            product_name: f.string("ProductName")?,
            os_version: f.string("OSVersion")?,
            build_version: f.string("BuildVersion")?,
            imei: f.string("IMEI")?,
            meid: f.string("MEID")?,
            device_name: f.string("DeviceName")?,
        }),
        "TokenUpdate" => CheckinMessage::TokenUpdate(TokenUpdate {
            enrollment,
            topic: f.req_string("Topic")?,
            token: f.req_data("Token")?,
            push_magic: f.req_string("PushMagic")?,
            unlock_token: f.data("UnlockToken")?,
            awaiting_configuration: f.bool("AwaitingConfiguration")?.unwrap_or(false),
            not_on_console: f.bool("NotOnConsole")?.unwrap_or(false),
        }),
        "CheckOut" => CheckinMessage::CheckOut(CheckOut {
            enrollment,
            topic: f.string("Topic")?,
        }),
        "UserAuthenticate" => {
            // The whole point of the message is the user: without UserID there is nothing to
            // authenticate.
            if enrollment.user_id.is_none() {
                return Err(f.missing("UserID"));
            }
            CheckinMessage::UserAuthenticate(UserAuthenticate {
                enrollment,
                digest_response: f.string("DigestResponse")?,
            })
        }
        "SetBootstrapToken" => CheckinMessage::SetBootstrapToken(SetBootstrapToken {
            enrollment,
            bootstrap_token: f.data("BootstrapToken")?.filter(|t| !t.is_empty()),
            awaiting_configuration: f.bool("AwaitingConfiguration")?.unwrap_or(false),
        }),
        "GetBootstrapToken" => CheckinMessage::GetBootstrapToken(GetBootstrapToken { enrollment }),
        "DeclarativeManagement" => CheckinMessage::DeclarativeManagement(DeclarativeManagement {
            enrollment,
            endpoint: f.string("Endpoint")?,
            data: f.data("Data")?,
        }),
        "GetToken" => CheckinMessage::GetToken(GetToken {
            enrollment,
            token_service_type: f.req_string("TokenServiceType")?,
        }),
        other => return Err(FormatError::UnknownMessageType(other.to_owned())),
    })
}

const KNOWN_TYPES: &[&str] = &[
    "Authenticate",
    "TokenUpdate",
    "CheckOut",
    "UserAuthenticate",
    "SetBootstrapToken",
    "GetBootstrapToken",
    "DeclarativeManagement",
    "GetToken",
];

/// The answer to GetBootstrapToken: `{BootstrapToken: <data>}`, or an empty dictionary when no
/// token is escrowed.
pub fn bootstrap_token_response(token: Option<&[u8]>) -> Vec<u8> {
    let mut dict = Dictionary::new();
    if let Some(token) = token {
        dict.insert("BootstrapToken".to_owned(), Value::Data(token.to_vec()));
    }
    xml(&Value::Dictionary(dict))
}

/// The answer to GetToken: `{TokenData: <data>}` (a string token as its UTF-8 bytes).
pub fn get_token_response(token_data: &[u8]) -> Vec<u8> {
    let mut dict = Dictionary::new();
    dict.insert("TokenData".to_owned(), Value::Data(token_data.to_vec()));
    xml(&Value::Dictionary(dict))
}
