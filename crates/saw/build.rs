//! Packs the binary's relative relocations (`-z pack-relative-relocs`, DT_RELR) when it is
//! built for the machine that builds it and that machine's C library can load them.
//!
//! A position-independent binary carries one 24-byte relocation per pointer in its static
//! data (vtables, string tables, time zones): ≈ 1.2 MB here, read at every start and kept in
//! memory. Packed, they take a few kilobytes, and idle memory is ≈ 1 MB lower
//! (docs/performance.md, eighth round). glibc loads packed relocations from 2.36 on; a binary
//! linked with them needs that glibc to start, so anything else (another C library, an older
//! glibc, a cross build) is linked as usual.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target = std::env::var("TARGET").unwrap_or_default();
    let host = std::env::var("HOST").unwrap_or_default();
    if target == host && target.ends_with("-linux-gnu") && host_glibc_loads_packed_relocations() {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn host_glibc_loads_packed_relocations() -> bool {
    // SAFETY: glibc returns a pointer to a static, NUL-terminated version string.
    let version = unsafe { std::ffi::CStr::from_ptr(libc::gnu_get_libc_version()) };
    let mut parts = version
        .to_str()
        .unwrap_or_default()
        .split('.')
        .map(|part| part.parse::<u32>().unwrap_or(0));
    let major = parts.next().unwrap_or(0);
    let minor = parts.next().unwrap_or(0);
    (major, minor) >= (2, 36)
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn host_glibc_loads_packed_relocations() -> bool {
    false
}
