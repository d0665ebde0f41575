//! The local HS256 dev key: created once per data directory so that `mdm-dev token` and the
//! server agree without configuration, and kept out of the repository.

use std::fs;
use std::io::Write;
use std::path::Path;

use mdm_core::Error;
use mdm_core::ports::{IdGen, UlidIds};

const FILE: &str = "dev-jwt.key";

/// Reads the key in `dir`, creating it (readable only by the owner) on first use.
pub fn load_or_create(dir: &Path) -> Result<String, Error> {
    let path = dir.join(FILE);
    if let Ok(existing) = fs::read_to_string(&path) {
        let key = existing.trim().to_owned();
        if key.len() >= 32 {
            return Ok(key);
        }
        return Err(Error::Invalid(format!(
            "{} holds a key shorter than 32 characters; delete it to get a new one",
            path.display()
        )));
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
