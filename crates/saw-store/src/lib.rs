//! SAW's storage: one interface, two backends.
//!
//! Reading order: [`conn`] is the small driver interface each backend implements (run a
//! statement, read rows); [`repo`] holds every query SAW makes, written once against that
//! interface with SQL the two dialects share; [`Store`] runs those queries as read or write
//! transactions on the backend chosen from the database URL: [`sqlite`] or [`postgres`], each
//! with one writer thread that group-commits ([`group_commit`]) and a pool for reads. [`migrate`] applies each backend's own
//! embedded migrations at start.

pub mod conn;
mod error;
mod group_commit;
pub mod migrate;
pub mod postgres;
pub mod repo;
pub mod sqlite;
mod store;

pub use conn::{Conn, Dialect, Row, Value};
pub use error::StoreError;
pub use store::{DatabaseUrl, Store, now};
