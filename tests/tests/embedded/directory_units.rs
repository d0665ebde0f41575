//! What the device directory costs, read from the unit meter on an injected clock: the idle
//! check-in stays one write unit and no read, the hourly directory refresh adds what
//! docs/adr/0002-directory-shards.md states, and a listing page and a lookup cost what the
//! access-pattern table of docs/architecture.md says.

use std::sync::Arc;

use mdm_app::App;
use mdm_core::domain::directory::{DeviceFilterParams, Identifier};
use mdm_core::domain::{CheckinRequest, DeviceCredential, EnrollRequest};
use mdm_core::ports::{ManualClock, Principal};
use mdm_core::units::UnitsSnapshot;
use mdm_core::usecases::Page;
use mdm_core::usecases::{device::checkin, device::enrollment, fleet::directory};
use serde_json::json;

const START_MS: i64 = 1_800_000_000_000;
const MINUTE: i64 = 60;

fn admin() -> Principal {
    mdm_tests::direct::admin_of("acme")
}

struct Fixture {
    app: App,
    clock: Arc<ManualClock>,
}

impl Fixture {
    fn new() -> Self {
        let (app, clock) = mdm_tests::direct::app_on_clock(START_MS);
        Self { app, clock }
    }

    fn units(&self) -> UnitsSnapshot {
        self.app.services.table.units()
    }

    /// Enrols devices with the largest hot item each platform really has: Android with the
    /// longest push token the API takes (400 characters; FCM's are ~160) and no PushMagic, iOS
    /// with a 64-hex-digit APNs token and a 64-character PushMagic; both with a 50-character
    /// OS version. (Both at once — a 400-character token with a PushMagic — is a combination
    /// no real device sends; at every maximum together the item is 1,025 bytes, 2 WU.)
    async fn enroll(&self, n: u64, platform: &str) -> Vec<DeviceCredential> {
        let svc = &self.app.services;
        let req = serde_json::from_value(json!({"max_uses": n})).expect("token request");
        let token = enrollment::create_token(svc, &admin(), req)
            .await
            .expect("token")
            .token;
        let mut creds = Vec::new();
        for i in 0..n {
            let mut body =
                mdm_devtools::agent::SimDevice::enrollment_body(i, &token, platform, "t");
            if platform == "ios" {
                body["push_token"] = json!("a".repeat(64));
                body["push_magic"] = json!("m".repeat(64));
            } else {
                body["push_token"] = json!("p".repeat(400));
            }
            body["os_version"] = json!(format!("15.{}", "0".repeat(47)));
            body["imsi"] = json!(format!("31015{i:010}"));
            body["phone_number"] = json!(format!("+1415{i:07}"));
            let req: EnrollRequest = serde_json::from_value(body).expect("enrol body");
            let e = enrollment::enroll(svc, req).await.expect("enrol");
            creds.push(DeviceCredential::parse(&e.device_credential).expect("credential"));
        }
        creds
    }

    async fn hot_size(&self, cred: &DeviceCredential) -> usize {
        let key = mdm_core::store::keys::device(&cred.tenant, &cred.device);
        let item = self.app.services.table.get(&key, true).await.expect("read");
        item.map_or(0, |i| i.size())
    }

    async fn checkin(&self, cred: &DeviceCredential, req: CheckinRequest) -> UnitsSnapshot {
        let before = self.units();
        checkin::checkin(&self.app.services, cred, req)
            .await
            .expect("check-in");
        self.units().since(&before)
    }
}

/// A check-in reporting every small field at its widest, so the hot item is as large as a
/// device can make it.
fn idle() -> CheckinRequest {
    CheckinRequest {
        battery_level: Some(100),
        storage_free_bytes: Some(u64::MAX / 2),
        storage_total_bytes: Some(u64::MAX),
        location: Some(mdm_core::domain::Location {
            latitude: -89.123_456_789_012_34,
            longitude: -179.123_456_789_012_34,
            accuracy_m: Some(999_999.123_456_789),
        }),
        ..CheckinRequest::default()
    }
}

/// Given a device just enrolled, idle check-ins cost one write unit and no read for the rest
/// of the hour; the first one in the next hour (or after an OS update) also refreshes the
/// directory for two more single-unit writes, and the next is back to one unit.
#[tokio::test]
async fn the_idle_checkin_stays_one_write_and_the_directory_refresh_costs_two_more_hourly() {
    for platform in ["android", "ios"] {
        idle_checkins_of(platform).await;
    }
    mdm_tests::figures::report(
        "directory_units",
        "directory units: idle check-in 1 WU / 0 RU; hourly (or new OS) refresh +2 WU / 0 RU",
    );
}

async fn idle_checkins_of(platform: &str) {
    let f = Fixture::new();
    let cred = f.enroll(1, platform).await.remove(0);
    let one = UnitsSnapshot {
        read_units: 0.0,
        write_units: 1,
    };
    let refresh = UnitsSnapshot {
        read_units: 0.0,
        write_units: 3,
    };

    assert_eq!(
        f.checkin(&cred, idle()).await,
        one,
        "hot item of {} bytes",
        f.hot_size(&cred).await
    );
    f.clock.advance_secs(59 * MINUTE);
    assert_eq!(f.checkin(&cred, idle()).await, one);
    f.clock.advance_secs(MINUTE);
    assert_eq!(
        f.checkin(&cred, idle()).await,
        refresh,
        "an hour after enrolment"
    );
    assert_eq!(f.checkin(&cred, idle()).await, one);
    let update = CheckinRequest {
        os_version: Some("16.1".into()),
        ..idle()
    };
    assert_eq!(f.checkin(&cred, update.clone()).await, refresh, "new OS");
    assert_eq!(f.checkin(&cred, update).await, one, "the same OS again");

    // The refreshed entry is what listings filter on.
    let params = DeviceFilterParams {
        os_version: Some("16.1".into()),
        last_seen_after: Some(mdm_core::domain::time::rfc3339(
            START_MS + 60 * MINUTE * 1000,
        )),
        ..DeviceFilterParams::default()
    };
    let page = directory::list(
        &f.app.services,
        &admin(),
        &params.parse().expect("filter"),
        Page::first(),
    )
    .await
    .expect("list");
    assert_eq!(page.items.len(), 1);
}

/// A listing of 40 small directory entries reads them in one query per shard (16 queries of
/// under 4 KB: 8 read units eventually consistent); a lookup is one query and one read per
/// device found (1 read unit).
#[tokio::test]
async fn a_listing_reads_each_shard_once_and_a_lookup_is_one_query_and_one_read() {
    let f = Fixture::new();
    let before = f.units();
    let creds = f.enroll(40, "android").await;
    let enrol = f.units().since(&before);
    // Per device: token use, device, inventory, audit, directory, 4 index entries, all under
    // 1 KB, at two units each in a transaction; plus the token's own creation (3 items).
    assert_eq!(enrol.write_units, 40 * 9 * 2 + 3 * 2, "{enrol:?}");

    let before = f.units();
    let page = directory::list(
        &f.app.services,
        &admin(),
        &DeviceFilterParams::default().parse().expect("filter"),
        Page::new(None, 200),
    )
    .await
    .expect("list");
    let list = f.units().since(&before);
    assert_eq!(page.items.len(), 40);
    assert_eq!(page.next_cursor, None);
    assert_eq!(
        list,
        UnitsSnapshot {
            read_units: 8.0,
            write_units: 0
        }
    );

    let before = f.units();
    let found = directory::lookup(
        &f.app.services,
        &admin(),
        &Identifier::imsi("310150000000007").expect("imsi"),
    )
    .await
    .expect("lookup");
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0].id, creds[7].device.as_str());
    assert_eq!(
        f.units().since(&before),
        UnitsSnapshot {
            read_units: 1.0,
            write_units: 0
        }
    );
    mdm_tests::figures::report(
        "directory_units_list",
        &format!(
            "directory units: enrolment {} WU per device; listing 40 devices {} RU; lookup 1 RU",
            (enrol.write_units - 6) / 40,
            list.read_units
        ),
    );
}

/// Given a device under compliance rules (so its item carries the rules' version and the last
/// evaluation's summary), an idle check-in still costs one write unit and no read, with the
/// largest hot item a device really has; a check-in that brings news for the rules (an older
/// OS) evaluates them and pays for it once, and the next idle one is back to one unit.
#[tokio::test]
async fn an_idle_checkin_under_compliance_rules_stays_one_write_and_no_read() {
    let f = Fixture::new();
    let svc = &f.app.services;
    let cred = f.enroll(1, "android").await.remove(0);
    let rules = serde_json::from_value(json!({"name": "rules", "document": {"compliance": {
        "min_os_version": {"version": "14", "escalation": [
            {"after_seconds": 0, "action": "notify_user"},
            {"after_seconds": 3600, "action": "block_corporate_access"},
            {"after_seconds": 604800, "action": "wipe"}]},
        "passcode_set": {}, "encrypted": {}, "not_compromised": {}, "sim_unchanged": {},
        "max_offline": {"hours": 72},
        "data_usage_cap": {"monthly_bytes": 10_000_000_000_u64}
    }}}))
    .expect("policy");
    let policy = mdm_core::usecases::policy::policies::create(svc, &admin(), rules)
        .await
        .expect("create policy");
    let assign = serde_json::from_value(json!({"policy_id": policy.id})).expect("assign");
    mdm_core::usecases::policy::policies::assign_device(svc, &admin(), &cred.device, Some(assign))
        .await
        .expect("assign");
    // The device applies its policy (the reply carries it until then).
    let first = checkin::checkin(svc, &cred, idle())
        .await
        .expect("check-in");
    let version = first.policy.expect("policy sent").version;
    let applied = CheckinRequest {
        policy_version: Some(version),
        ..idle()
    };
    checkin::checkin(svc, &cred, applied)
        .await
        .expect("check-in");
    let one = UnitsSnapshot {
        read_units: 0.0,
        write_units: 1,
    };
    let size = f.hot_size(&cred).await;
    assert_eq!(
        f.checkin(&cred, idle()).await,
        one,
        "hot item of {size} bytes"
    );
    let older = CheckinRequest {
        os_version: Some("13.7".into()),
        ..idle()
    };
    let evaluated = f.checkin(&cred, older.clone()).await;
    assert!(evaluated.write_units > 1, "{evaluated:?}");
    let size_failing = f.hot_size(&cred).await;
    assert_eq!(
        f.checkin(&cred, older).await,
        one,
        "hot item of {size_failing} bytes"
    );
    mdm_tests::figures::report(
        "compliance_units",
        &format!(
            "compliance units: idle check-in under 7 rules 1 WU / 0 RU (hot item {size} B, {size_failing} B failing); an OS downgrade's evaluation {} WU / {} RU (notice queued, directory flipped, due entry)",
            evaluated.write_units, evaluated.read_units
        ),
    );
}
