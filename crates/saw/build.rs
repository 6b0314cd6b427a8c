//! Packs the binary's relative relocations (`-z pack-relative-relocs`, DT_RELR) when it is
//! built for the machine that builds it and that machine's C library can load them.
//!
//! A position-independent binary carries one relocation (24 bytes on 64-bit targets) per
//! pointer in its static data (vtables, string tables, time zones): ≈ 1.3 MB here, read at
//! every start and kept in memory. Packed, they take ≈ 20 KB, and idle memory is ≈ 1.3 MB
//! lower (docs/performance.md, eighth round). glibc loads packed relocations from 2.36
//! on, and a binary linked with them does not start on an older one; so anything else
//! (another C library, an older glibc, a cross build) links as usual, and
//! `SAW_BUILD_PLAIN_RELOCATIONS=1` does too, for a binary to be copied to an older system.

const OPT_OUT: &str = "SAW_BUILD_PLAIN_RELOCATIONS";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed={OPT_OUT}");
    let target = std::env::var("TARGET").unwrap_or_default();
    let host = std::env::var("HOST").unwrap_or_default();
    let opted_out = std::env::var_os(OPT_OUT).is_some_and(|v| !v.is_empty() && v != "0");
    if target == host
        && target.ends_with("-linux-gnu")
        && !opted_out
        && host_glibc_loads_packed_relocations()
    {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn host_glibc_loads_packed_relocations() -> bool {
    // SAFETY: glibc returns a pointer to a static, NUL-terminated version string.
    let version = unsafe { std::ffi::CStr::from_ptr(libc::gnu_get_libc_version()) };
    if let Some(library) = loaded_glibc() {
        // Best effort: packages install files with their own (older) times, so a changed
        // glibc is not always noticed; docs/operations.md says to clean the build then.
        println!("cargo:rerun-if-changed={}", library.display());
    }
    let mut parts = version
        .to_str()
        .unwrap_or_default()
        .split('.')
        .map(|part| part.parse::<u32>().unwrap_or(0));
    let major = parts.next().unwrap_or(0);
    let minor = parts.next().unwrap_or(0);
    (major, minor) >= (2, 36)
}

/// The file of the glibc this build script runs with.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn loaded_glibc() -> Option<std::path::PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    // SAFETY: `Dl_info` is a C struct of pointers, for which all zeroes is a valid value.
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    // SAFETY: dladdr only reads the address and fills `info`.
    let found = unsafe { libc::dladdr(libc::gnu_get_libc_version as *const _, &mut info) };
    if found == 0 || info.dli_fname.is_null() {
        return None;
    }
    // SAFETY: `dli_fname` points to a NUL-terminated string owned by the dynamic loader,
    // which lives as long as the library (the whole process for glibc); it is copied into
    // an owned path below before this function returns.
    let name = unsafe { std::ffi::CStr::from_ptr(info.dli_fname) };
    let path = std::path::Path::new(std::ffi::OsStr::from_bytes(name.to_bytes()));
    std::fs::canonicalize(path).ok()
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn host_glibc_loads_packed_relocations() -> bool {
    false
}
