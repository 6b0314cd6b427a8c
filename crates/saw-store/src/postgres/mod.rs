//! The PostgreSQL backend: one writer thread that group-commits ([`crate::group_commit`]) on
//! its own connection, and a connection pool for reads, each one transaction run on a
//! blocking thread. A commit costs a round trip and a WAL flush; sharing it among the
//! writes waiting is what lets webhooks arrive faster than PostgreSQL commits.
//!
//! Connections are encrypted when the server offers TLS (`sslmode=prefer`, the default) and
//! insist on it with `?sslmode=require`. As with libpq in those modes, the server's
//! certificate is not verified (self-signed certificates are the norm for database servers);
//! it protects against eavesdropping, not against an active impostor on the network.

mod driver;

use std::sync::Arc;
use std::time::Duration;

use r2d2_postgres::PostgresConnectionManager;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::StoreError;
use crate::conn::Conn;
use crate::group_commit::{Backend, Transaction, Writer};
use driver::{PgConn, Statements};

const POOL_SIZE: u32 = 16;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

type Pool = r2d2::Pool<Manager>;

/// A pooled connection, with the statements prepared on it.
struct Connection {
    client: postgres::Client,
    statements: Statements,
}

/// r2d2_postgres's manager, keeping each connection's prepared statements beside it.
struct Manager(PostgresConnectionManager<MakeRustlsConnect>);

impl r2d2::ManageConnection for Manager {
    type Connection = Connection;
    type Error = postgres::Error;

    fn connect(&self) -> Result<Connection, postgres::Error> {
        Ok(Connection {
            client: self.0.connect()?,
            statements: Statements::default(),
        })
    }

    fn is_valid(&self, conn: &mut Connection) -> Result<(), postgres::Error> {
        self.0.is_valid(&mut conn.client)
    }

    fn has_broken(&self, conn: &mut Connection) -> bool {
        self.0.has_broken(&mut conn.client)
    }
}

#[derive(Clone)]
pub struct PostgresStore {
    pool: Arc<PoolOwner>,
    writer: Arc<Writer>,
}

/// Owns the pool so that the last handle closes its connections off the async threads: the
/// blocking client's destructor waits on the network, which must never happen on a thread
/// that drives async tasks.
struct PoolOwner(Option<Pool>);

impl std::ops::Deref for PoolOwner {
    type Target = Pool;

    fn deref(&self) -> &Pool {
        self.0
            .as_ref()
            .expect("the pool lives until the owner is dropped")
    }
}

impl Drop for PoolOwner {
    fn drop(&mut self) {
        if let Some(pool) = self.0.take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                let _ = std::thread::Builder::new()
                    .name("saw-pg-close".into())
                    .spawn(move || drop(pool));
            } else {
                drop(pool);
            }
        }
    }
}

impl PostgresStore {
    /// Connects (checking that the server answers) without running migrations.
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        let mut config: postgres::Config = url.parse().map_err(|e| {
            StoreError::Unavailable(format!("the PostgreSQL URL is not valid: {e}"))
        })?;
        config.connect_timeout(CONNECT_TIMEOUT);
        config.application_name("saw");
        // The pool only says that it timed out; one direct attempt tells the real reason.
        let tls = tls_connector()?;
        config.connect(tls.clone()).map_err(|e| {
            StoreError::Unavailable(format!("cannot connect to PostgreSQL: {}", describe(&e)))
        })?;
        let manager = Manager(PostgresConnectionManager::new(config, tls));
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            .connection_timeout(CONNECT_TIMEOUT)
            // A broken connection shows as closed when it goes back; testing each one on the
            // way out would cost a round trip per transaction.
            .test_on_check_out(false)
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build(manager)
            .map_err(|e| StoreError::Unavailable(format!("cannot connect to PostgreSQL: {e}")))?;
        let writer = Writer::start(
            "saw-pg-writer",
            WriterConn {
                pool: pool.clone(),
                client: None,
            },
        )?;
        Ok(Self {
            pool: Arc::new(PoolOwner(Some(pool))),
            writer: Arc::new(writer),
        })
    }

    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Conn) -> Result<T, E> + Send + 'static,
    {
        self.writer.write(f).await
    }

    /// [`PostgresStore::write`] for a write that may run more than once
    /// ([`crate::Store::write_replayable`]).
    pub async fn write_replayable<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: Fn(&mut dyn Conn) -> Result<T, E> + Send + 'static,
    {
        self.writer.write_replayable(f).await
    }

    /// Writes waiting for the writer thread ([`crate::Store::writes_waiting`]).
    pub fn writes_waiting(&self) -> usize {
        self.writer.waiting()
    }

    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Conn) -> Result<T, E> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut pooled = pool
                .get()
                .map_err(|e| StoreError::Unavailable(format!("no PostgreSQL connection: {e}")))?;
            let Connection { client, statements } = &mut *pooled;
            let mut tx = client
                .build_transaction()
                .read_only(true)
                .start()
                .map_err(driver::map_error)?;
            let value = f(&mut PgConn::new(&mut tx, statements))?;
            tx.commit().map_err(driver::map_error)?;
            Ok(value)
        })
        .await
        .map_err(|e| E::from(StoreError::Database(format!("database task failed: {e}"))))?
    }
}

/// The writer's connection, taken from the pool and kept; a closed one is replaced before
/// the next batch.
struct WriterConn {
    pool: Pool,
    client: Option<r2d2::PooledConnection<Manager>>,
}

/// A write transaction on the writer's connection.
struct WriterTx<'c> {
    tx: postgres::Transaction<'c>,
    statements: &'c mut Statements,
}

impl Backend for WriterConn {
    type Tx<'a> = WriterTx<'a>;

    fn begin(&mut self) -> Result<WriterTx<'_>, StoreError> {
        if self.client.as_ref().is_some_and(|c| c.client.is_closed()) {
            self.client = None;
        }
        let client =
            match &mut self.client {
                Some(client) => client,
                empty => empty.insert(self.pool.get().map_err(|e| {
                    StoreError::Unavailable(format!("no PostgreSQL connection: {e}"))
                })?),
            };
        let Connection { client, statements } = &mut **client;
        Ok(WriterTx {
            tx: client.transaction().map_err(driver::map_error)?,
            statements,
        })
    }
}

impl Transaction for WriterTx<'_> {
    fn execute(&mut self, sql: &str) -> Result<(), StoreError> {
        self.tx.batch_execute(sql).map_err(driver::map_error)
    }

    fn run(&mut self, write: &mut dyn FnMut(&mut dyn Conn) -> bool) -> bool {
        write(&mut PgConn::new(&mut self.tx, self.statements))
    }

    fn lost(&self) -> bool {
        false
    }

    fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().map_err(driver::map_error)
    }

    fn roll_back(self) {
        let _ = self.tx.rollback();
    }
}

/// The error and its causes on one line ("error connecting to server: Connection refused").
fn describe(e: &postgres::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// TLS with the ring provider chosen explicitly (no process-wide default needed).
fn tls_connector() -> Result<MakeRustlsConnect, StoreError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Unavailable(format!("cannot set up TLS for PostgreSQL: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// libpq's `prefer`/`require`: the handshake's signatures are checked, the certificate chain
/// is not.
#[derive(Debug)]
struct EncryptOnly(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
