//! `LocalSecrets`: the secret store of the embedded backend. Secrets live in their own
//! directory beside the database (owner-only files, written atomically), never in the table
//! file, so copying or inspecting the store does not hand out tenants' push credentials.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use mdm_ports::SecretStore;
use mdm_ports::error::StoreError;

pub struct LocalSecrets {
    /// None keeps secrets in memory only (tests, `--in-memory`).
    dir: Option<PathBuf>,
    memory: Mutex<HashMap<String, String>>,
}

impl LocalSecrets {
    pub fn in_memory() -> Self {
        Self {
            dir: None,
            memory: Mutex::new(HashMap::new()),
        }
    }

    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: Some(dir.into()),
            memory: Mutex::new(HashMap::new()),
        }
    }

    /// Names hold slashes and tenant ids; hex keeps every name one safe file name.
    fn path(&self, name: &str) -> Option<PathBuf> {
        let file: String = name.bytes().map(|b| format!("{b:02x}")).collect();
        self.dir.as_ref().map(|d| d.join(file))
    }
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Unavailable(format!("secret store: {e}"))
}

#[async_trait]
impl SecretStore for LocalSecrets {
    async fn get(&self, name: &str) -> Result<Option<String>, StoreError> {
        let Some(path) = self.path(name) else {
            let memory = self.memory.lock().unwrap_or_else(PoisonError::into_inner);
            return Ok(memory.get(name).cloned());
        };
        match std::fs::read_to_string(&path) {
            Ok(value) => Ok(Some(value)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(e)),
        }
    }

    async fn put(&self, name: &str, value: &str) -> Result<(), StoreError> {
        let Some(path) = self.path(name) else {
            let mut memory = self.memory.lock().unwrap_or_else(PoisonError::into_inner);
            memory.insert(name.to_owned(), value.to_owned());
            return Ok(());
        };
        let dir = path.parent().map(PathBuf::from).unwrap_or_default();
        std::fs::create_dir_all(&dir).map_err(io)?;
        let tmp = path.with_extension("tmp");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).map_err(io)?;
        file.write_all(value.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)
    }

    async fn delete(&self, name: &str) -> Result<(), StoreError> {
        let Some(path) = self.path(name) else {
            let mut memory = self.memory.lock().unwrap_or_else(PoisonError::into_inner);
            memory.remove(name);
            return Ok(());
        };
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_secret_survives_a_new_store_on_the_same_directory_and_only_its_owner_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalSecrets::in_dir(dir.path().join("secrets"));
        assert_eq!(store.get("tenants/acme/push/ios").await.unwrap(), None);
        store.put("tenants/acme/push/ios", "v1").await.unwrap();
        store.put("tenants/acme/push/ios", "v2").await.unwrap();
        let again = LocalSecrets::in_dir(dir.path().join("secrets"));
        assert_eq!(
            again.get("tenants/acme/push/ios").await.unwrap().as_deref(),
            Some("v2")
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let file = std::fs::read_dir(dir.path().join("secrets"))
                .unwrap()
                .next()
                .unwrap()
                .unwrap();
            assert_eq!(file.metadata().unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[tokio::test]
    async fn a_deleted_secret_is_gone_and_deleting_it_again_succeeds() {
        let dir = tempfile::tempdir().unwrap();
        for store in [
            LocalSecrets::in_dir(dir.path().join("secrets")),
            LocalSecrets::in_memory(),
        ] {
            store.put("tenants/acme/push/ios", "v1").await.unwrap();
            store.put("tenants/other/push/ios", "kept").await.unwrap();
            store.delete("tenants/acme/push/ios").await.unwrap();
            store.delete("tenants/acme/push/ios").await.unwrap();
            assert_eq!(store.get("tenants/acme/push/ios").await.unwrap(), None);
            assert_eq!(
                store
                    .get("tenants/other/push/ios")
                    .await
                    .unwrap()
                    .as_deref(),
                Some("kept")
            );
        }
    }
}
