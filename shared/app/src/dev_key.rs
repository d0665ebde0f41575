//! The local HS256 dev key: created once per data directory so that `mdm-dev token` and the
//! server agree without configuration, and kept out of the repository.

use std::fs;
use std::io::Write;
use std::path::Path;

use mdm_core::Error;
use mdm_core::ports::{IdGen, UlidIds};

const FILE: &str = "dev-jwt.key";

/// Reads the key the server of data directory `dir` created, for minting tokens it accepts.
/// Fails, naming the file it looked for, when there is none: a key made up here would sign
/// tokens that server refuses.
pub fn load(dir: &Path) -> Result<String, Error> {
    let path = dir.join(FILE);
    match fs::read_to_string(&path) {
        Ok(existing) => checked(&path, existing),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::Invalid(format!(
            "no dev key at {}: start the server (mdm-dev) with this data directory first, or \
             pass the server's --data-dir (MDM_DATA_DIR)",
            absolute(&path).display()
        ))),
        Err(e) => Err(Error::Invalid(format!(
            "cannot read {}: {e}",
            absolute(&path).display()
        ))),
    }
}

fn absolute(path: &Path) -> std::path::PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

fn checked(path: &Path, existing: String) -> Result<String, Error> {
    let key = existing.trim().to_owned();
    if key.len() >= 32 {
        return Ok(key);
    }
    Err(Error::Invalid(format!(
        "{} holds a key shorter than 32 characters; delete it to get a new one",
        path.display()
    )))
}

/// Reads the key in `dir`, creating it (readable only by the owner) on first use.
pub fn load_or_create(dir: &Path) -> Result<String, Error> {
    let path = dir.join(FILE);
    if let Ok(existing) = fs::read_to_string(&path) {
        return checked(&path, existing);
    }
    fs::create_dir_all(dir)
        .map_err(|e| Error::Invalid(format!("cannot create {}: {e}", dir.display())))?;
    let key = UlidIds::default().secret();
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = match options.open(&path) {
        Ok(f) => f,
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return load_or_create(dir),
        Err(e) => {
            return Err(Error::Invalid(format!(
                "cannot create {}: {e}",
                path.display()
            )));
        }
    };
    writeln!(file, "{key}")
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::Invalid(format!("cannot write {}: {e}", path.display())))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_minter_never_makes_up_a_key_the_server_does_not_know() {
        let dir = tempfile::tempdir().unwrap();
        let err = load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("no dev key at") && err.contains(FILE), "{err}");
        assert!(!dir.path().join(FILE).exists());
        let created = load_or_create(dir.path()).unwrap();
        assert_eq!(load(dir.path()).unwrap(), created);
    }
}
