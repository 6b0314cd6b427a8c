//! Admin work, roles, API tokens, two-factor sign-in, restarts and configuration errors.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn an_admin_creates_an_agent_who_is_refused_the_admin_pages() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        let admin = server.browser();
        assert_eq!(
            admin
                .sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
                .await
                .location
                .as_deref(),
            Some("/inbox")
        );

        let form = admin.get("/admin/users/new").await;
        assert_eq!(form.status, StatusCode::OK);
        let suporte =
            between(&form.body, "name=\"queues\" value=\"", "\"").expect("a queue checkbox");
        let csrf = form.csrf();
        let created = admin
            .post(
                "/admin/users",
                &[
                    ("_csrf", &csrf),
                    ("name", "Carla <b>Atendente</b>"),
                    ("email", "Carla@Loja.com.br"),
                    ("role", "agent"),
                    ("password", ""),
                    ("queues", &suporte),
                ],
            )
            .await;
        assert_eq!(
            created.status,
            StatusCode::OK,
            "{}: {}",
            db.name,
            created.body
        );
        let password = between(&created.body, "<p class=\"secret\"><code>", "</code>")
            .expect("password shown once");

        let duplicate = admin
            .submit(
                "/admin/users/new",
                "/admin/users",
                &[
                    ("name", "X"),
                    ("email", "carla@loja.com.br"),
                    ("role", "agent"),
                ],
            )
            .await;
        assert_eq!(duplicate.status, StatusCode::CONFLICT, "{}", db.name);
        assert!(
            duplicate
                .body
                .contains("Já existe um usuário com este e-mail.")
        );
        let bad_email = admin
            .submit(
                "/admin/users/new",
                "/admin/users",
                &[("name", "X"), ("email", "carla"), ("role", "agent")],
            )
            .await;
        assert_eq!(bad_email.status, StatusCode::UNPROCESSABLE_ENTITY);

        let list = admin.get("/admin/users").await;
        assert!(
            list.body.contains("Carla &#60;b&#62;Atendente&#60;/b&#62;")
                || list.body.contains("Carla &lt;b&gt;"),
            "names are escaped: {}",
            list.body
        );
        assert!(!list.body.contains("<b>Atendente</b>"));

        let agent = server.browser();
        assert_eq!(
            agent
                .sign_in("carla@loja.com.br", &password)
                .await
                .location
                .as_deref(),
            Some("/inbox")
        );
        agent
            .submit(
                "/account/password",
                "/account/password",
                &[
                    ("current", &password),
                    ("new", "senha-da-carla"),
                    ("confirm", "senha-da-carla"),
                ],
            )
            .await;
        let inbox = agent.get("/inbox").await;
        assert_eq!(inbox.status, StatusCode::OK, "{}", db.name);
        assert!(
            !inbox.body.contains("href=\"/admin/users\""),
            "agents see no admin navigation"
        );
        for page in [
            "/admin/users",
            "/admin/users/new",
            "/admin/queues",
            "/admin/settings",
            "/admin/audit",
            "/admin/channels",
        ] {
            let refused = agent.get(page).await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}: {page}", db.name);
            assert!(refused.body.contains("Você não tem permissão"));
        }
        let posted = agent
            .submit(
                "/inbox",
                "/admin/queues",
                &[("name", "Hack"), ("color", "#000000")],
            )
            .await;
        assert_eq!(posted.status, StatusCode::FORBIDDEN);

        // A new role ends the agent's sessions at once.
        let users = admin.get("/admin/users").await;
        let row = &users.body[users.body.find("carla@loja.com.br").unwrap()..];
        let carla = between(row, "href=\"/admin/users/", "\"").expect("edit link");
        let promoted = admin
            .submit(
                &format!("/admin/users/{carla}"),
                &format!("/admin/users/{carla}"),
                &[
                    ("name", "Carla"),
                    ("email", "carla@loja.com.br"),
                    ("role", "supervisor"),
                    ("queues", &suporte),
                ],
            )
            .await;
        assert_eq!(
            promoted.location.as_deref(),
            Some("/admin/users?ok=user_saved"),
            "{}",
            db.name
        );
        assert_eq!(
            agent.get("/inbox").await.location.as_deref(),
            Some("/login"),
            "{}: role change ends sessions",
            db.name
        );

        let audit = admin.get("/admin/audit").await;
        assert!(
            audit.body.contains("user.created") && audit.body.contains("carla@loja.com.br"),
            "{}",
            db.name
        );
        assert!(
            audit.body.contains("user.role_changed") && audit.body.contains("agent → supervisor"),
            "{}",
            db.name
        );
    }
}

#[tokio::test]
async fn queues_are_managed_with_one_default() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        let admin = server.admin_browser().await;
        let created = admin
            .submit(
                "/admin/queues",
                "/admin/queues",
                &[("name", "Financeiro"), ("color", "#AA0000")],
            )
            .await;
        assert_eq!(
            created.location.as_deref(),
            Some("/admin/queues?ok=queue_created"),
            "{}",
            db.name
        );
        let again = admin
            .submit(
                "/admin/queues",
                "/admin/queues",
                &[("name", "financeiro"), ("color", "#aa0000")],
            )
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT);

        let token = stdout(&cli(&db, &["token", "create", "--name", "tests"]))
            .trim()
            .to_owned();
        let queues: Value = server
            .api()
            .get(server.url("/api/v1/queues"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let list = queues["items"].as_array().unwrap();
        let names: Vec<&str> = list.iter().map(|q| q["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Comercial", "Financeiro", "Suporte"], "{}", db.name);
        let default: Vec<&str> = list
            .iter()
            .filter(|q| q["is_default"] == true)
            .map(|q| q["name"].as_str().unwrap())
            .collect();
        assert_eq!(default, ["Suporte"]);
        let financeiro = list.iter().find(|q| q["name"] == "Financeiro").unwrap()["id"]
            .as_i64()
            .unwrap();
        let suporte = list.iter().find(|q| q["name"] == "Suporte").unwrap()["id"]
            .as_i64()
            .unwrap();

        let refused = admin
            .submit(
                &format!("/admin/queues/{suporte}"),
                &format!("/admin/queues/{suporte}/delete"),
                &[],
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::CONFLICT,
            "{}: the default queue stays",
            db.name
        );
        let made_default = admin
            .submit(
                &format!("/admin/queues/{financeiro}"),
                &format!("/admin/queues/{financeiro}"),
                &[
                    ("name", "Financeiro"),
                    ("color", "#aa0000"),
                    ("is_default", "1"),
                ],
            )
            .await;
        assert_eq!(
            made_default.location.as_deref(),
            Some("/admin/queues?ok=queue_saved")
        );
        let deleted = admin
            .submit(
                &format!("/admin/queues/{suporte}"),
                &format!("/admin/queues/{suporte}/delete"),
                &[],
            )
            .await;
        assert_eq!(
            deleted.location.as_deref(),
            Some("/admin/queues?ok=queue_deleted"),
            "{}",
            db.name
        );
        let page = admin.get("/admin/queues").await;
        assert!(!page.body.contains(">Suporte<") && page.body.contains("Financeiro"));
    }
}

#[tokio::test]
async fn api_tokens_authenticate_scripts_and_stop_when_revoked() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        let api = server.api();
        let doc: Value = api
            .get(server.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            doc["openapi"], "3.1.0",
            "the OpenAPI document needs no token"
        );
        let unauthenticated = api.get(server.url("/api/v1/me")).send().await.unwrap();
        assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
        let body: Value = unauthenticated.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthorized", "{body}");

        let created = cli(&db, &["token", "create", "--name", "erp"]);
        assert!(created.status.success(), "{}", stderr(&created));
        let token = stdout(&created);
        assert_eq!(token.lines().count(), 1, "the token alone on stdout");
        let token = token.trim();

        let me: Value = api
            .get(server.url("/api/v1/me"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            me["email"], ADMIN_EMAIL,
            "{}: defaults to the first admin",
            db.name
        );
        assert_eq!(me["role"], "admin");

        // The session cookie is no way into the API.
        let browser = server.admin_browser().await;
        assert_eq!(
            browser.get("/api/v1/me").await.status,
            StatusCode::UNAUTHORIZED
        );

        let new_user = api
            .post(server.url("/api/v1/users"))
            .bearer_auth(token)
            .json(&serde_json::json!({"name": "Davi", "email": "davi@loja.com.br", "role": "agent", "queues": ["Comercial"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(new_user.status(), StatusCode::CREATED);
        let new_user: Value = new_user.json().await.unwrap();
        assert_eq!(new_user["queues"][0]["name"], "Comercial");
        assert!(
            new_user["generated_password"]
                .as_str()
                .is_some_and(|p| p.len() == 16)
        );
        let unknown_queue = api
            .post(server.url("/api/v1/users"))
            .bearer_auth(token)
            .json(&serde_json::json!({"name": "Eva", "email": "eva@loja.com.br", "role": "agent", "queues": ["Marte"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(unknown_queue.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let bad_json = api
            .post(server.url("/api/v1/users"))
            .bearer_auth(token)
            .body("{")
            .header("content-type", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(bad_json.status(), StatusCode::BAD_REQUEST);

        let agent_token = stdout(&cli(
            &db,
            &[
                "token",
                "create",
                "--name",
                "agente",
                "--user",
                "davi@loja.com.br",
            ],
        ))
        .trim()
        .to_owned();
        let people: Value = api
            .get(server.url("/api/v1/users"))
            .bearer_auth(&agent_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let people = people["items"].as_array().unwrap();
        assert!(
            people.iter().any(|u| u["name"] == "Davi"),
            "agents list the people they can transfer to: {people:?}"
        );
        assert!(
            people.iter().all(|u| u.get("email").is_none()),
            "but not their e-mail addresses: {people:?}"
        );
        let agent_queues: Value = api
            .get(server.url("/api/v1/queues"))
            .bearer_auth(&agent_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            agent_queues["items"].as_array().unwrap().len(),
            1,
            "agents see their own queues"
        );
        assert_eq!(
            api.get(server.url("/api/v1/nothing"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::NOT_FOUND
        );

        let listed = stdout(&cli(&db, &["token", "list"]));
        assert!(
            listed.contains("erp") && listed.contains("active") && !listed.contains(token),
            "{listed}"
        );
        let revoked = cli(&db, &["token", "revoke", "erp"]);
        assert!(revoked.status.success(), "{}", stderr(&revoked));
        let after = api
            .get(server.url("/api/v1/me"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            after.status(),
            StatusCode::UNAUTHORIZED,
            "{}: revoked at once",
            db.name
        );
        assert!(stdout(&cli(&db, &["token", "list"])).contains("revoked"));
        let twice = cli(&db, &["token", "revoke", "erp"]);
        assert_eq!(twice.status.code(), Some(1), "{}", stderr(&twice));
        assert!(
            stderr(&twice).contains("no active token 'erp'"),
            "{}",
            stderr(&twice)
        );
    }
}

/// The code an authenticator app shows `ahead` seconds from now.
fn totp_code(secret_base32: &str, ahead: u64) -> String {
    let secret = totp_rs::Secret::Encoded(secret_base32.to_owned())
        .to_bytes()
        .unwrap();
    let totp = totp_rs::TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        secret,
        None,
        String::new(),
    )
    .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    totp.generate(now + ahead)
}

#[tokio::test]
async fn two_factor_sign_in_with_app_codes_and_recovery_codes() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        let browser = server.admin_browser().await;
        assert_eq!(
            browser
                .submit("/account", "/account/2fa/start", &[])
                .await
                .location
                .as_deref(),
            Some("/account")
        );
        let setup = browser.get("/account").await;
        assert!(setup.body.contains("<svg"), "a QR code is shown");
        let secret = between(&setup.body, "<code>", "</code>").expect("the secret as text");
        let wrong = browser
            .submit("/account", "/account/2fa/confirm", &[("code", "000000")])
            .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        let confirmed = browser
            .submit(
                "/account",
                "/account/2fa/confirm",
                &[("code", &totp_code(&secret, 0))],
            )
            .await;
        assert_eq!(
            confirmed.status,
            StatusCode::OK,
            "{}: {}",
            db.name,
            confirmed.body
        );
        let codes: Vec<String> = confirmed
            .body
            .match_indices("<li><code>")
            .map(|(i, _)| confirmed.body[i + 10..i + 29].to_owned())
            .collect();
        assert_eq!(codes.len(), 10);

        let again = server.browser();
        let first_step = again.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(
            first_step.location.as_deref(),
            Some("/login/2fa"),
            "{}",
            db.name
        );
        assert_eq!(
            again.get("/inbox").await.location.as_deref(),
            Some("/login/2fa"),
            "nothing opens before the code"
        );
        let bad = again
            .submit("/login/2fa", "/login/2fa", &[("code", "123456")])
            .await;
        assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
        // The enrolment used this step's code: a code works once, so take the next step's
        // (SAW allows one step of clock skew).
        let next = totp_code(&secret, 30);
        let ok = again
            .submit("/login/2fa", "/login/2fa", &[("code", &next)])
            .await;
        assert_eq!(ok.location.as_deref(), Some("/inbox"), "{}", db.name);
        let replay = server.browser();
        replay.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let replayed = replay
            .submit("/login/2fa", "/login/2fa", &[("code", &next)])
            .await;
        assert_eq!(
            replayed.status,
            StatusCode::UNAUTHORIZED,
            "{}: a TOTP code works once",
            db.name
        );
        assert_eq!(again.get("/inbox").await.status, StatusCode::OK);

        let third = server.browser();
        third.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let recovered = third
            .submit("/login/2fa", "/login/2fa", &[("code", &codes[0])])
            .await;
        assert_eq!(
            recovered.location.as_deref(),
            Some("/inbox"),
            "{}: recovery code",
            db.name
        );
        let fourth = server.browser();
        fourth.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let reused = fourth
            .submit("/login/2fa", "/login/2fa", &[("code", &codes[0])])
            .await;
        assert_eq!(
            reused.status,
            StatusCode::UNAUTHORIZED,
            "a recovery code works once"
        );
    }
}

#[tokio::test]
async fn readiness_and_a_restart_that_keeps_every_row() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        let ready: Value = reqwest::get(server.url("/readyz"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(ready["status"], "ready");
        assert_eq!(ready["database"], db.name);
        assert_eq!(
            reqwest::get(server.url("/healthz")).await.unwrap().status(),
            StatusCode::OK
        );
        let added = cli(
            &db,
            &[
                "user",
                "add",
                "--email",
                "eli@loja.com.br",
                "--name",
                "Eli",
                "--role",
                "supervisor",
                "--password",
                "senha-do-eli",
            ],
        );
        assert!(added.status.success());
        assert_eq!(server.stop().code(), Some(0));

        let again = Server::start_with(&db, &[]);
        assert!(
            !again.banner.contains("SAW está pronto"),
            "{}: no second first-start",
            db.name
        );
        let browser = again.browser();
        assert_eq!(
            browser
                .sign_in("eli@loja.com.br", "senha-do-eli")
                .await
                .location
                .as_deref(),
            Some("/inbox")
        );
        let users = stdout(&cli(&db, &["user", "list"]));
        assert!(
            users.contains(ADMIN_EMAIL)
                && users.contains("eli@loja.com.br")
                && users.contains("supervisor"),
            "{users}"
        );
    }
}

#[tokio::test]
async fn configuration_errors_say_what_to_fix_without_a_panic() {
    let db = saw_testkit::sqlite();
    let cases: [(&[&str], &str); 4] = [
        (&["serve", "--bind", "nowhere"], "SAW_BIND"),
        (
            &["serve", "--database-url", "mysql://root@localhost/saw"],
            "unsupported database URL scheme 'mysql'",
        ),
        (
            &[
                "serve",
                "--database-url",
                "postgres://saw:segredo@127.0.0.1:1/saw",
            ],
            "cannot connect to PostgreSQL",
        ),
        (
            &["serve", "--secret-key", "curta"],
            "SAW_SECRET_KEY must hold a 32-byte key",
        ),
    ];
    for (args, expected) in cases {
        let out = cli(&db, args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("segredo"),
            "{args:?}: {err}"
        );
    }
    let no_db = cli(&db, &["user", "list"]);
    assert_eq!(no_db.status.code(), Some(2));
    assert!(
        stderr(&no_db).contains("run `saw serve` once"),
        "{}",
        stderr(&no_db)
    );

    // A database set up with one key refuses another.
    let server = Server::start(&db);
    drop(server);
    let wrong_key = saw(&db)
        .args(["user", "list"])
        .env("SAW_SECRET_KEY", "ab".repeat(32))
        .output()
        .unwrap();
    assert_eq!(wrong_key.status.code(), Some(2));
    assert!(
        stderr(&wrong_key).contains("not the one this database was set up with"),
        "{}",
        stderr(&wrong_key)
    );

    let unknown_queue = cli(
        &db,
        &[
            "user",
            "add",
            "--email",
            "f@loja.com.br",
            "--name",
            "F",
            "--queue",
            "Marte",
        ],
    );
    assert_eq!(unknown_queue.status.code(), Some(1));
    assert!(stderr(&unknown_queue).contains("unknown queue 'Marte'"));
    let duplicate = cli(
        &db,
        &["user", "add", "--email", ADMIN_EMAIL, "--name", "Outro"],
    );
    assert!(
        stderr(&duplicate).contains("already exists"),
        "{}",
        stderr(&duplicate)
    );
    let from_stdin = saw(&db)
        .args([
            "user",
            "add",
            "--email",
            "g@loja.com.br",
            "--name",
            "G",
            "--password",
            "-",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"senha-via-stdin\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(from_stdin.status.success());
    assert!(
        !stdout(&from_stdin).contains("password:"),
        "a given password is not printed"
    );
    let help = cli(&db, &["serve", "--help"]);
    for var in [
        "SAW_BIND",
        "SAW_DATA_DIR",
        "SAW_DATABASE_URL",
        "SAW_PUBLIC_URL",
        "SAW_LOG",
        "SAW_SECRET_KEY",
        "SAW_ADMIN_EMAIL",
        "SAW_ADMIN_PASSWORD",
        "SAW_TRUSTED_PROXIES",
    ] {
        assert!(stdout(&help).contains(var), "serve --help names {var}");
    }
}
