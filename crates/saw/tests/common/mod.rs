//! Starts the real `saw serve` binary on a random port with a fresh data dir, and talks to it
//! over HTTP like a browser (cookies, forms, CSRF tokens) or a script (bearer tokens).

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::redirect::Policy;
pub use saw_testkit::TestDb;
use serde_json::Value;

pub const ADMIN_EMAIL: &str = "admin@loja.com.br";
pub const ADMIN_PASSWORD: &str = "senha-do-admin-123";
/// An API base where nothing listens: channels in tests that do not use a fake provider
/// point here, so the dispatcher never reaches a real provider.
pub const NO_PROVIDER: &str = "http://127.0.0.1:9";

const SAW_VARS: [&str; 18] = [
    "SAW_BIND",
    "SAW_DATA_DIR",
    "SAW_DATABASE_URL",
    "SAW_PUBLIC_URL",
    "SAW_LOG",
    "SAW_LOG_FORMAT",
    "SAW_SECRET_KEY",
    "SAW_ADMIN_EMAIL",
    "SAW_ADMIN_PASSWORD",
    "SAW_TRUSTED_PROXIES",
    "SAW_USER_PASSWORD",
    "SAW_MAX_FAILED_SIGN_INS",
    "SAW_WHATSAPP_ACCESS_TOKEN",
    "SAW_WHATSAPP_APP_SECRET",
    "SAW_WHATSAPP_VERIFY_TOKEN",
    "SAW_TELEGRAM_BOT_TOKEN",
    "SAW_PROVIDER_TIMEOUT",
    "SAW_METRICS_TOKEN",
];

/// `saw` with this test's data dir and database, and nothing from the outer environment.
pub fn saw(db: &TestDb) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_saw"));
    for var in SAW_VARS {
        cmd.env_remove(var);
    }
    cmd.env("SAW_DATA_DIR", db.data_dir())
        .env("SAW_DATABASE_URL", db.url_arg())
        .env("SAW_LOG", "warn");
    cmd
}

/// The fixtures' WhatsApp number and app secret (its signatures are made with it).
pub const FIXTURE_NUMBER: &str = "112233445566778";
pub const FIXTURE_APP_SECRET: &str = "saw-fixtures-app-secret";
pub const FIXTURE_ACCESS_TOKEN: &str = "EAAG-token-de-teste";

/// Connects the fixtures' WhatsApp number through the CLI, its API at `api_base`.
pub fn add_fixture_whatsapp(db: &TestDb, verify_token: &str, api_base: &str) {
    let out = cli(
        db,
        &[
            "channel",
            "add",
            "whatsapp",
            "--name",
            "WhatsApp Loja",
            "--phone-number-id",
            FIXTURE_NUMBER,
            "--waba-id",
            "104952389402837",
            "--access-token",
            FIXTURE_ACCESS_TOKEN,
            "--app-secret",
            FIXTURE_APP_SECRET,
            "--verify-token",
            verify_token,
            "--api-base",
            api_base,
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

/// A provider fixture (`whatsapp/…`, `telegram/…`, `local/whatsapp/…`), as bytes.
pub fn fixture_bytes(path: &str) -> Vec<u8> {
    let path = format!(
        "{}/../saw-channels/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A WhatsApp fixture, as bytes.
pub fn whatsapp_fixture(name: &str) -> Vec<u8> {
    fixture_bytes(&format!("whatsapp/{name}"))
}

/// The fixtures' text message, sent now (inside the customer's 24-hour window).
pub fn fresh_whatsapp_text() -> Vec<u8> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    String::from_utf8(whatsapp_fixture("webhook-text-wire.json"))
        .unwrap()
        .replace("1795519300", &now.to_string())
        .into_bytes()
}

/// Posts a WhatsApp webhook signed with the fixtures' app secret; it must be acknowledged.
pub async fn deliver_whatsapp(server: &Server, body: &[u8]) {
    let signature = saw_channels::whatsapp::sign(FIXTURE_APP_SECRET.as_bytes(), body);
    let response = server
        .api()
        .post(server.url("/webhooks/whatsapp"))
        .header("x-hub-signature-256", signature)
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

/// A new API token of the admin, from the CLI.
pub fn api_token(db: &TestDb) -> String {
    stdout(&cli(db, &["token", "create", "--name", "tests"]))
        .trim()
        .to_owned()
}

/// `GET path` with a bearer token, as JSON.
pub async fn get_json(server: &Server, token: &str, path: &str) -> serde_json::Value {
    server
        .api()
        .get(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// One number from the test's database.
pub async fn scalar(db: &TestDb, sql: &'static str) -> i64 {
    saw_store::Store::open(&db.url)
        .await
        .unwrap()
        .read(move |c| c.scalar_i64(sql, &[]))
        .await
        .unwrap()
}

/// Runs a CLI command against the test's database.
pub fn cli(db: &TestDb, args: &[&str]) -> Output {
    saw(db)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run saw")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub struct Server {
    child: Child,
    pub base: String,
    /// What `serve` printed on standard output until it was ready (the first-start banner).
    pub banner: String,
}

impl Server {
    /// Starts with the admin e-mail and password set, unless `env` says otherwise.
    pub fn start(db: &TestDb) -> Server {
        Self::start_with(
            db,
            &[
                ("SAW_ADMIN_EMAIL", ADMIN_EMAIL),
                ("SAW_ADMIN_PASSWORD", ADMIN_PASSWORD),
            ],
        )
    }

    pub fn start_with(db: &TestDb, env: &[(&str, &str)]) -> Server {
        let mut cmd = saw(db);
        cmd.args(["serve", "--bind", "127.0.0.1:0"])
            .env("SAW_LOG", "info")
            .env("SAW_LOG_FORMAT", "json")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start saw serve");
        let (tx, rx) = mpsc::channel::<(bool, String)>();
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        let tx_out = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx_out.send((false, line));
            }
        });
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if std::env::var("SAW_TEST_SHOW_LOGS").is_ok() {
                    eprintln!("[saw] {line}");
                }
                let _ = tx.send((true, line));
            }
        });
        let mut banner = String::new();
        let mut log = String::new();
        loop {
            let (is_log, line) = rx
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("saw serve did not become ready; stdout:\n{banner}\nlog:\n{log}")
                });
            if !is_log {
                banner.push_str(&line);
                banner.push('\n');
                continue;
            }
            log.push_str(&line);
            log.push('\n');
            if line.contains("SAW is ready") {
                let v: serde_json::Value = serde_json::from_str(&line).expect("json log line");
                let listen = v["fields"]["listen"]
                    .as_str()
                    .expect("listen field")
                    .to_owned();
                // The banner comes through the other pipe; give it a moment to arrive.
                while let Ok((false, line)) = rx.recv_timeout(Duration::from_millis(300)) {
                    banner.push_str(&line);
                    banner.push('\n');
                }
                // Keep draining the pipes so the server never blocks on a full one.
                std::thread::spawn(move || while rx.recv().is_ok() {});
                return Server {
                    child,
                    base: format!("http://{listen}"),
                    banner,
                };
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A browser: keeps cookies, does not follow redirects (tests look at them).
    pub fn browser(&self) -> Browser {
        let cookies = std::sync::Arc::new(reqwest::cookie::Jar::default());
        Browser {
            base: self.base.clone(),
            http: reqwest::Client::builder()
                .cookie_provider(cookies.clone())
                .redirect(Policy::none())
                .build()
                .unwrap(),
            cookies,
        }
    }

    /// A browser signed in as the admin the tests start with.
    pub async fn admin_browser(&self) -> Browser {
        let browser = self.browser();
        let page = browser.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(
            page.location.as_deref(),
            Some("/inbox"),
            "the admin signs in"
        );
        browser
    }

    /// A plain HTTP client for API calls.
    pub fn api(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .unwrap()
    }

    /// SIGKILL: the process dies at once, mid-work (crash tests).
    pub fn kill_hard(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits: the exit status of a graceful shutdown.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..200 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("saw serve did not stop after SIGTERM");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Browser {
    pub base: String,
    pub http: reqwest::Client,
    cookies: std::sync::Arc<reqwest::cookie::Jar>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl Page {
    /// The `_csrf` value of the first form on the page.
    pub fn csrf(&self) -> String {
        between(&self.body, "name=\"_csrf\" value=\"", "\"").expect("a CSRF field on the page")
    }
}

pub fn between(text: &str, start: &str, end: &str) -> Option<String> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(text[from..from + len].to_owned())
}

impl Browser {
    async fn page(resp: reqwest::Response) -> Page {
        let status = resp.status();
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Page {
            status,
            location,
            body: resp.text().await.unwrap_or_default(),
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        Self::page(
            self.http
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .expect("GET"),
        )
        .await
    }

    /// Posts a form the way a browser on SAW's own page does (same Origin).
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .header("origin", &self.base)
            .form(fields)
            .send()
            .await
            .expect("POST");
        Self::page(resp).await
    }

    /// Opens `page`, takes its CSRF token and posts `fields` with it to `action`.
    pub async fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.get(page).await.csrf();
        let mut all = vec![("_csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    /// Opens a WebSocket to `path` as this browser's page would: its cookies, and its
    /// own address as the `Origin` unless `origin` says otherwise.
    pub async fn websocket(
        &self,
        path: &str,
        origin: Option<&str>,
    ) -> Result<LiveSocket, tokio_tungstenite::tungstenite::Error> {
        use reqwest::cookie::CookieStore;
        let mut request = websocket_request(&self.base, path);
        let url = self.base.parse().unwrap();
        if let Some(cookies) = self.cookies.cookies(&url) {
            request.headers_mut().insert("cookie", cookies);
        }
        let origin = origin.unwrap_or(&self.base).parse().unwrap();
        request.headers_mut().insert("origin", origin);
        Ok(tokio_tungstenite::connect_async(request).await?.0)
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Page {
        self.submit(
            "/login",
            "/login",
            &[("email", email), ("password", password)],
        )
        .await
    }
}

/// Every file below `dir` (none when it does not exist).
pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Writes on the sandbox as customer `who` and waits for the answer containing `expect`.
pub async fn say_as(
    browser: &Browser,
    who: &str,
    text: &str,
    option: Option<&str>,
    expect: &str,
) -> String {
    let mut fields = vec![("cliente", who), ("nome", "Maria Souza"), ("texto", text)];
    if let Some(option) = option {
        fields.push(("opcao", option));
    }
    let sent = browser.submit("/sandbox", "/sandbox", &fields).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let back = sent.location.unwrap();
    let mut page = String::new();
    // The customer's bubble: the text alone could also be in a random token.
    let said = format!("<span class=\"text\">{text}</span>");
    for _ in 0..100 {
        page = browser.get(&back).await.body;
        // The answer comes after the customer's message on the phone.
        if page.rfind(&said).is_some() && page.rfind(expect) > page.rfind(&said) {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no answer with {expect:?} after {text:?}: {page}");
}

pub async fn post_api(server: &Server, token: &str, path: &str) -> (StatusCode, Value) {
    let resp = server
        .api()
        .post(server.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (resp.status(), resp.json().await.unwrap_or(Value::Null))
}

pub async fn ticket_of(server: &Server, token: &str, status: &str) -> Value {
    let list = get_json(server, token, &format!("/api/v1/tickets?status={status}")).await;
    list["items"][0].clone()
}

/// The password of the agents [`add_agent`] creates.
pub const AGENT_PASSWORD: &str = "senha-forte-123";

/// Adds a user with `role` (and `queues`) through the CLI, with [`AGENT_PASSWORD`].
pub fn add_user(db: &TestDb, email: &str, name: &str, role: &str, queues: &[&str]) {
    let mut args = vec![
        "user",
        "add",
        "--email",
        email,
        "--name",
        name,
        "--role",
        role,
        "--password",
        AGENT_PASSWORD,
    ];
    for queue in queues {
        args.extend(["--queue", queue]);
    }
    let out = cli(db, &args);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Adds an agent of `queue` through the CLI and answers an API token of theirs.
pub fn add_agent(db: &TestDb, email: &str, name: &str, queue: &str) -> String {
    add_user(db, email, name, "agent", &[queue]);
    stdout(&cli(
        db,
        &["token", "create", "--name", name, "--user", email],
    ))
    .trim()
    .to_owned()
}

/// Adds a supervisor (every queue's tickets, the team's reports) through the CLI.
pub fn add_supervisor(db: &TestDb, email: &str, name: &str) {
    add_user(db, email, name, "supervisor", &[]);
}

/// The id of the item called `name` in an API list (`{"items": [...]}`).
pub fn id_named(list: &Value, name: &str) -> i64 {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {list}"))["id"]
        .as_i64()
        .unwrap()
}

/// The customer `who` writes `text` on the sandbox (no answer awaited).
pub async fn customer_writes(admin: &Browser, who: &str, text: &str) {
    let sent = admin
        .submit(
            "/sandbox",
            "/sandbox",
            &[("cliente", who), ("nome", "Maria Souza"), ("texto", text)],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
}

/// A live stream read as a WebSocket.
pub type LiveSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

fn websocket_request(
    base: &str,
    path: &str,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    format!("{}{path}", base.replacen("http://", "ws://", 1))
        .into_client_request()
        .unwrap()
}

/// Opens the live stream (`/api/v1/events`, plus `query`) as a WebSocket with an API token.
pub async fn token_websocket(server: &Server, token: &str, query: &str) -> LiveSocket {
    let mut request = websocket_request(&server.base, &format!("/api/v1/events{query}"));
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    tokio_tungstenite::connect_async(request)
        .await
        .expect("the live stream opens as a WebSocket")
        .0
}
