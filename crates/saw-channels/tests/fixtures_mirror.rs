//! The fixtures in `tests/fixtures` are byte-for-byte copies of the shared ones in
//! `../shared/fixtures` (next to the repository), so a clean checkout tests on its own.
//! When the shared folder is there, this checks the copies have not drifted.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

#[test]
fn copies_match_the_shared_fixtures() {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures");
    if !shared.is_dir() {
        eprintln!(
            "shared fixtures not found at {}: nothing to compare, the copies in tests/fixtures are used as they are",
            shared.display()
        );
        return;
    }
    let local = common::fixtures_dir();
    for dir in ["whatsapp", "telegram"] {
        let theirs = names(&shared.join(dir));
        let ours = names(&local.join(dir));
        assert_eq!(ours, theirs, "file lists differ in {dir}/");
        for name in &theirs {
            let a = std::fs::read(shared.join(dir).join(name)).expect("shared fixture");
            let b = std::fs::read(local.join(dir).join(name)).expect("local fixture");
            assert!(
                a == b,
                "{dir}/{name} differs from the shared copy: cp it again"
            );
        }
    }
}
