//! What devices should look like: policy documents and their assignment, the app catalogue,
//! geofences.

pub mod apps;
pub mod geofences;
pub mod policies;
