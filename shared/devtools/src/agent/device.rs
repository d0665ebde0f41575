//! One simulated device: its identity, its local state, and how it "executes" each command.

use serde_json::{Value, json};

/// A valid IMEI for simulated device number `n`: 14 digits and a Luhn check digit.
pub fn imei_for(n: u64) -> String {
    let body = format!("35{:012}", n % 1_000_000_000_000);
    format!("{body}{}", mdm_core::domain::ids::luhn_check_digit(&body))
}

/// What the device is and holds.
#[derive(Debug, Clone, Default)]
pub struct SimDevice {
    pub index: u64,
    pub device_id: String,
    pub credential: String,
    pub locked: bool,
    pub passcode_cleared: bool,
    pub apps: Vec<String>,
    /// Set once wiped or enterprise-wiped: the device no longer talks to the server.
    pub gone: bool,
    /// The lost-mode message while in lost mode.
    pub lost_mode: Option<String>,
    /// The apps the device is pinned to while in kiosk mode.
    pub kiosk_apps: Option<Vec<String>>,
    pub corporate_access_blocked: bool,
    pub reboots: u32,
    /// The policy the device enforces and its version, as a check-in reply gave them.
    pub policy: Option<(String, Value)>,
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

    /// Enforces the policy a check-in reply carries, if any; true when it brought one.
    pub fn apply_policy_from(&mut self, reply: &Value) -> bool {
        match (
            reply["policy"]["version"].as_str(),
            reply["policy"].get("document"),
        ) {
            (Some(version), Some(document)) => {
                self.policy = Some((version.to_owned(), document.clone()));
                true
            }
            _ => false,
        }
    }

    /// The version of the policy the device enforces, for its next check-in.
    pub fn policy_version(&self) -> Option<&str> {
        self.policy.as_ref().map(|(v, _)| v.as_str())
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
                "data": {
                    "installed_apps": self.apps,
                    "locked": self.locked,
                    "lost_mode": self.lost_mode.is_some(),
                    "kiosk": self.kiosk_apps.is_some(),
                    "corporate_access_blocked": self.corporate_access_blocked,
                }
            }),
            "wipe" | "enterprise_wipe" => {
                self.gone = true;
                json!({"status": "acknowledged"})
            }
            "ring" | "message" => json!({"status": "acknowledged"}),
            "block_corporate_access" | "unblock_corporate_access" => {
                self.corporate_access_blocked = command["type"] == "block_corporate_access";
                json!({"status": "acknowledged"})
            }
            "reboot" => {
                self.reboots += 1;
                json!({"status": "acknowledged"})
            }
            "start_lost_mode" => {
                // Lost mode locks the screen and shows the message until it is stopped.
                self.lost_mode = Some(payload["message"].as_str().unwrap_or_default().to_owned());
                self.locked = true;
                json!({"status": "acknowledged"})
            }
            // Stopping lost mode when not in it is not a failure: the device is where the admin
            // wants it (the Android Management API answers NOT_IN_LOST_MODE as a status too).
            "stop_lost_mode" => json!({
                "status": "acknowledged",
                "data": {"was_in_lost_mode": self.lost_mode.take().is_some()}
            }),
            "enter_kiosk" => {
                let apps = payload["apps"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                self.kiosk_apps = Some(apps);
                json!({"status": "acknowledged"})
            }
            "exit_kiosk" => {
                self.kiosk_apps = None;
                json!({"status": "acknowledged"})
            }
            // The agent checks in right after answering, which brings the policy if it changed.
            "apply_policy" => json!({"status": "acknowledged"}),
            other => {
                json!({"status": "error", "error": {"code": "unsupported", "message": format!("{other} is not supported")}})
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(d: &mut SimDevice, kind: &str, payload: Value) -> Value {
        d.execute(&json!({"id": "c", "type": kind, "payload": payload}))
    }

    #[test]
    fn lost_mode_kiosk_and_blocked_access_are_held_until_undone() {
        let mut d = SimDevice::default();
        run(&mut d, "start_lost_mode", json!({"message": "Call IT"}));
        run(&mut d, "enter_kiosk", json!({"apps": ["com.example.pos"]}));
        run(&mut d, "block_corporate_access", json!({}));
        run(&mut d, "reboot", json!({}));
        assert_eq!(d.lost_mode.as_deref(), Some("Call IT"));
        assert!(d.locked);
        assert_eq!(d.kiosk_apps, Some(vec!["com.example.pos".to_owned()]));
        assert!(d.corporate_access_blocked);
        assert_eq!(d.reboots, 1);

        let stop = run(&mut d, "stop_lost_mode", json!({}));
        assert_eq!(stop["data"]["was_in_lost_mode"], true);
        run(&mut d, "exit_kiosk", json!({}));
        run(&mut d, "unblock_corporate_access", json!({}));
        assert_eq!(
            (
                d.lost_mode.clone(),
                d.kiosk_apps.clone(),
                d.corporate_access_blocked
            ),
            (None, None, false)
        );
        let again = run(&mut d, "stop_lost_mode", json!({}));
        assert_eq!(again["status"], "acknowledged");
        assert_eq!(again["data"]["was_in_lost_mode"], false);
    }

    #[test]
    fn simulated_imeis_pass_the_servers_luhn_check() {
        for n in [0, 1, 42, 999_999] {
            let imei = imei_for(n);
            assert!(mdm_core::domain::Imei::parse(&imei).is_ok(), "{imei}");
        }
    }
}
