//! Rebuilds this package when a migration is added or removed. The derive
//! embeds each migration with `include_str!`, so an edited file rebuilds it
//! anyway; a new file in the directory is seen only through this (cargo
//! scans a directory named here for any change), as with `sqlx::migrate!`.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
