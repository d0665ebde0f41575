//! Mail account payloads: IMAP or POP (`com.apple.mail.managed`) and Exchange ActiveSync
//! (`com.apple.eas.account`). Passwords are never in the profile: the device asks the user.

use super::{Content, Payload};

/// A mail account, in Apple's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailSettings {
    Imap {
        /// `EmailAccountDescription`, shown in Settings.
        account_name: String,
        email_address: Option<String>,
        host: String,
        port: Option<i64>,
        ssl: bool,
        username: Option<String>,
        smtp_host: String,
        smtp_port: Option<i64>,
        smtp_ssl: bool,
    },
    Pop {
        account_name: String,
        email_address: Option<String>,
        host: String,
        port: Option<i64>,
        ssl: bool,
        username: Option<String>,
        smtp_host: String,
        smtp_port: Option<i64>,
        smtp_ssl: bool,
    },
    Exchange {
        /// Shown as the payload's name: ActiveSync has no account-description key.
        account_name: String,
        email_address: Option<String>,
        host: String,
        ssl: bool,
        username: Option<String>,
    },
}

/// The mail payload for `s`.
pub fn mail_payload(s: &MailSettings, uuid: &str, identifier: &str) -> Payload {
    let mut c = Content::new();
    match s {
        MailSettings::Imap {
            account_name,
            email_address,
            host,
            port,
            ssl,
            username,
            smtp_host,
            smtp_port,
            smtp_ssl,
        }
        | MailSettings::Pop {
            account_name,
            email_address,
            host,
            port,
            ssl,
            username,
            smtp_host,
            smtp_port,
            smtp_ssl,
        } => {
            let kind = if matches!(s, MailSettings::Imap { .. }) {
                "EmailTypeIMAP"
            } else {
                "EmailTypePOP"
            };
            c.string("EmailAccountType", kind);
            c.string("EmailAccountDescription", account_name);
            c.opt_string("EmailAddress", email_address.as_deref());
            c.string("IncomingMailServerHostName", host);
            c.opt_integer("IncomingMailServerPortNumber", *port);
            c.bool("IncomingMailServerUseSSL", *ssl);
            c.opt_string("IncomingMailServerUsername", username.as_deref());
            c.string("IncomingMailServerAuthentication", "EmailAuthPassword");
            c.string("OutgoingMailServerHostName", smtp_host);
            c.opt_integer("OutgoingMailServerPortNumber", *smtp_port);
            c.bool("OutgoingMailServerUseSSL", *smtp_ssl);
            c.opt_string("OutgoingMailServerUsername", username.as_deref());
            c.string("OutgoingMailServerAuthentication", "EmailAuthPassword");
            // One password prompt for both servers.
            c.bool("OutgoingPasswordSameAsIncomingPassword", true);
            c.into_payload(Payload::new(
                "com.apple.mail.managed",
                uuid,
                identifier,
                account_name,
            ))
        }
        MailSettings::Exchange {
            account_name,
            email_address,
            host,
            ssl,
            username,
        } => {
            c.string("Host", host);
            c.bool("SSL", *ssl);
            c.opt_string("EmailAddress", email_address.as_deref());
            c.opt_string("UserName", username.as_deref());
            c.into_payload(Payload::new(
                "com.apple.eas.account",
                uuid,
                identifier,
                account_name,
            ))
        }
    }
}
