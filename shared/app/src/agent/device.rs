//! One simulated device: its identity, its local state, and how it "executes" each command.

use serde_json::{Value, json};

/// A valid IMEI for simulated device number `n`: 14 digits and a Luhn check digit.
pub fn imei_for(n: u64) -> String {
    let body = format!("35{:012}", n % 1_000_000_000_000);
    format!("{body}{}", mdm_core::domain::ids::luhn_check_digit(&body))
}

/// What the device is and holds.
#[derive(Debug, Clone)]
pub struct SimDevice {
    pub index: u64,
    pub device_id: String,
    pub credential: String,
    pub locked: bool,
    pub passcode_cleared: bool,
    pub apps: Vec<String>,
    /// Set once wiped or enterprise-wiped: the device no longer talks to the server.
    pub gone: bool,
}

impl SimDevice {
    /// The enrolment body for device number `index`.
    pub fn enrollment_body(index: u64, token: &str, platform: &str, push_token: &str) -> Value {
        json!({
            "enrollment_token": token,
            "platform": platform,
            "model": if platform == "ios" { "iPhone 15" } else { "Pixel 8" },
            "os_version": if platform == "ios" { "18.1" } else { "15" },
            "serial": format!("SIM{index:08}"),
            "imei": imei_for(index),
            "push_token": push_token,
        })
    }

    /// Carries out a command and returns the result to report.
    pub fn execute(&mut self, command: &Value) -> Value {
        let payload = &command["payload"];
        match command["type"].as_str().unwrap_or_default() {
            "lock" => {
                self.locked = true;
                json!({"status": "acknowledged"})
            }
            "locate" => json!({
                "status": "acknowledged",
                "data": {"latitude": 48.8584, "longitude": 2.2945, "accuracy_m": 12.0}
            }),
            "reset_passcode" => {
                self.passcode_cleared = payload["new_passcode"].is_null();
                json!({"status": "acknowledged"})
            }
            "install_app" => {
                let app = payload["app_id"].as_str().unwrap_or_default().to_owned();
                if !self.apps.contains(&app) {
                    self.apps.push(app);
                }
                json!({"status": "acknowledged"})
            }
            "remove_app" => {
                let app = payload["app_id"].as_str().unwrap_or_default();
                if let Some(pos) = self.apps.iter().position(|a| a == app) {
                    self.apps.remove(pos);
                    json!({"status": "acknowledged"})
                } else {
                    json!({"status": "error", "error": {"code": "app_not_installed", "message": format!("{app} is not installed")}})
                }
            }
            "refresh_inventory" => json!({
                "status": "acknowledged",
                "data": {"installed_apps": self.apps, "locked": self.locked}
            }),
            "wipe" | "enterprise_wipe" => {
                self.gone = true;
                json!({"status": "acknowledged"})
            }
            "ring" | "message" => json!({"status": "acknowledged"}),
            other => {
                json!({"status": "error", "error": {"code": "unsupported", "message": format!("{other} is not supported")}})
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulated_imeis_pass_the_servers_luhn_check() {
        for n in [0, 1, 42, 999_999] {
            let imei = imei_for(n);
            assert!(mdm_core::domain::Imei::parse(&imei).is_ok(), "{imei}");
        }
    }
}
