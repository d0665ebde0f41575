//! Every command we send renders as `{CommandUUID, Command}` and its `Command` passes Apple's
//! schema for its RequestType.

use mdm_apple::command::{AppleCommand, INVENTORY_QUERIES, render};
use mdm_apple::schema::Schema;
use plist::Value;

fn every_command() -> Vec<AppleCommand> {
    vec![
        AppleCommand::DeviceLock {
            message: Some("Return to IT".into()),
            phone_number: Some("+1 555 0100".into()),
            pin: Some("123456".into()),
        },
        AppleCommand::DeviceLock {
            message: None,
            phone_number: None,
            pin: None,
        },
        AppleCommand::EraseDevice {
            preserve_data_plan: true,
            pin: Some("123456".into()),
        },
        AppleCommand::EraseDevice {
            preserve_data_plan: false,
            pin: None,
        },
        AppleCommand::ClearPasscode {
            unlock_token: vec![1, 2, 3],
        },
        AppleCommand::EnableLostMode {
            message: Some("Lost".into()),
            phone_number: Some("+1 555 0100".into()),
            footnote: Some("Reward".into()),
        },
        AppleCommand::DisableLostMode,
        AppleCommand::DeviceLocation,
        AppleCommand::PlayLostModeSound,
        AppleCommand::InstallApplication {
            identifier: Some("com.example.app".into()),
            itunes_store_id: Some(361309726),
            manifest_url: Some("https://apps.example.com/manifest.plist".into()),
            management_flags: Some(5),
        },
        AppleCommand::RemoveApplication {
            identifier: "com.example.app".into(),
        },
        AppleCommand::InstallProfile {
            payload: b"<plist/>".to_vec(),
        },
        AppleCommand::RemoveProfile {
            identifier: "com.example.profile".into(),
        },
        AppleCommand::DeviceInformation {
            queries: INVENTORY_QUERIES.iter().map(|q| q.to_string()).collect(),
        },
        AppleCommand::SecurityInfo,
        AppleCommand::InstalledApplicationList {
            managed_apps_only: true,
        },
        AppleCommand::RestartDevice,
        AppleCommand::ShutDownDevice,
        AppleCommand::ProfileList,
        AppleCommand::CertificateList,
    ]
}

fn parsed(bytes: &[u8]) -> plist::Dictionary {
    Value::from_reader_xml(bytes)
        .unwrap()
        .into_dictionary()
        .expect("a dictionary")
}

#[test]
fn every_command_renders_a_command_that_passes_apples_schema_for_its_request_type() {
    for command in every_command() {
        let rendered = parsed(&render("C-1", &command));
        let inner = rendered
            .get("Command")
            .and_then(Value::as_dictionary)
            .expect("Command");
        let schema = Schema::for_request_type(command.request_type()).unwrap();
        assert_eq!(schema.check(inner), Vec::<String>::new(), "{command:?}");
    }
}

#[test]
fn every_command_round_trips_with_its_command_uuid_and_request_type() {
    for command in every_command() {
        let rendered = parsed(&render("6F1A2B3C-0000-4000-8000-000000000001", &command));
        assert_eq!(
            rendered.get("CommandUUID").and_then(Value::as_string),
            Some("6F1A2B3C-0000-4000-8000-000000000001")
        );
        let inner = rendered
            .get("Command")
            .and_then(Value::as_dictionary)
            .unwrap();
        assert_eq!(
            inner.get("RequestType").and_then(Value::as_string),
            Some(command.request_type())
        );
        assert_eq!(
            rendered.len(),
            2,
            "only CommandUUID and Command at the top level"
        );
    }
}

#[test]
fn every_variant_has_a_schema_of_its_own() {
    // to_dictionary's match is exhaustive, so every variant is in every_command(); this checks
    // each one found a distinct schema file rather than sharing one by accident.
    let mut titles: Vec<String> = every_command()
        .iter()
        .map(|c| {
            Schema::for_request_type(c.request_type())
                .unwrap()
                .title()
                .to_owned()
        })
        .collect();
    titles.sort();
    titles.dedup();
    assert_eq!(titles.len(), 18);
}

#[test]
fn absent_options_are_omitted_rather_than_written_empty() {
    let rendered = parsed(&render(
        "C-1",
        &AppleCommand::DeviceLock {
            message: None,
            phone_number: None,
            pin: None,
        },
    ));
    let inner = rendered
        .get("Command")
        .and_then(Value::as_dictionary)
        .unwrap();
    assert_eq!(inner.keys().collect::<Vec<_>>(), vec!["RequestType"]);
}

#[test]
fn the_values_of_a_command_are_written_under_apples_keys() {
    let command = AppleCommand::InstallApplication {
        identifier: None,
        itunes_store_id: Some(361309726),
        manifest_url: None,
        management_flags: Some(1),
    };
    let rendered = parsed(&render("C-1", &command));
    let inner = rendered
        .get("Command")
        .and_then(Value::as_dictionary)
        .unwrap();
    assert_eq!(
        inner
            .get("iTunesStoreID")
            .and_then(Value::as_unsigned_integer),
        Some(361309726)
    );
    assert_eq!(
        inner
            .get("ManagementFlags")
            .and_then(Value::as_signed_integer),
        Some(1)
    );
    let token = parsed(&render(
        "C-2",
        &AppleCommand::ClearPasscode {
            unlock_token: vec![7; 4],
        },
    ));
    let token = token.get("Command").and_then(Value::as_dictionary).unwrap();
    assert_eq!(
        token.get("UnlockToken").and_then(Value::as_data),
        Some(&[7u8; 4][..])
    );
}

#[test]
fn every_inventory_query_is_one_the_device_information_schema_names() {
    let schema = Schema::for_request_type("DeviceInformation").unwrap();
    for query in INVENTORY_QUERIES {
        let command = AppleCommand::DeviceInformation {
            queries: vec![query.to_string()],
        };
        assert_eq!(
            schema.check(&command.to_dictionary()),
            Vec::<String>::new(),
            "{query}"
        );
    }
    for wanted in [
        "OSVersion",
        "SerialNumber",
        "IMEI",
        "MEID",
        "ICCID",
        "BatteryLevel",
        "IsSupervised",
        "UDID",
    ] {
        assert!(INVENTORY_QUERIES.contains(&wanted), "{wanted}");
    }
    // And the check is not vacuous: a query Apple does not define is reported.
    let bogus = AppleCommand::DeviceInformation {
        queries: vec!["FavouriteColour".into()],
    };
    assert_eq!(schema.check(&bogus.to_dictionary()).len(), 1);
}
