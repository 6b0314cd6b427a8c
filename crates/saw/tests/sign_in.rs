//! First start, sign-in, lockout, CSRF, sessions: the real server over HTTP, on every backend.

mod common;

use common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn first_start_prints_a_generated_admin_who_must_change_the_password() {
    for db in saw_testkit::backends() {
        let server = Server::start_with(&db, &[]);
        assert!(
            server.banner.contains("admin@saw.local"),
            "{}: banner was {}",
            db.name,
            server.banner
        );
        let password =
            between(&server.banner, "Senha:    ", " ").expect("generated password in the banner");
        assert_eq!(password.len(), 16);
        assert!(
            server.banner.contains(&format!("{}/sandbox", server.base)),
            "the banner points to the sandbox: {}",
            server.banner
        );

        let browser = server.browser();
        let home = browser.get("/").await;
        assert_eq!(
            (home.status, home.location.as_deref()),
            (StatusCode::SEE_OTHER, Some("/login"))
        );
        let login = browser.get("/login").await;
        assert!(
            login.body.contains("Entrar")
                && login
                    .body
                    .contains("<form method=\"post\" action=\"/login\">")
        );

        let signed_in = browser.sign_in("admin@saw.local", &password).await;
        assert_eq!(signed_in.location.as_deref(), Some("/inbox"), "{}", db.name);
        let inbox = browser.get("/inbox").await;
        assert_eq!(
            inbox.location.as_deref(),
            Some("/account/password"),
            "{}: must change the password first",
            db.name
        );

        let mismatch = browser
            .submit(
                "/account/password",
                "/account/password",
                &[
                    ("current", &password),
                    ("new", "nova-senha-1"),
                    ("confirm", "outra"),
                ],
            )
            .await;
        assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
        let changed = browser
            .submit(
                "/account/password",
                "/account/password",
                &[
                    ("current", &password),
                    ("new", "nova-senha-123"),
                    ("confirm", "nova-senha-123"),
                ],
            )
            .await;
        assert_eq!(
            changed.location.as_deref(),
            Some("/inbox?ok=password_changed"),
            "{}: {}",
            db.name,
            changed.body
        );
        let inbox = browser.get("/inbox?ok=password_changed").await;
        assert_eq!(inbox.status, StatusCode::OK);
        assert!(inbox.body.contains("Senha alterada."));
        assert!(
            inbox.body.contains("Comercial") && inbox.body.contains("Suporte"),
            "the admin works in both example queues"
        );
        assert!(
            inbox.body.contains("href=\"/admin/users\""),
            "admins see the admin navigation"
        );

        // The old password no longer works; the new one does.
        let other = server.browser();
        assert_eq!(
            other.sign_in("admin@saw.local", &password).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            other
                .sign_in("admin@saw.local", "nova-senha-123")
                .await
                .location
                .as_deref(),
            Some("/inbox")
        );

        let users = cli(&db, &["user", "list"]);
        assert!(
            stdout(&users).contains("admin@saw.local"),
            "{}",
            stderr(&users)
        );
        assert_eq!(
            server.stop().code(),
            Some(0),
            "{}: graceful shutdown exits 0",
            db.name
        );
    }
}

#[tokio::test]
async fn wrong_password_is_refused_and_repeated_failures_lock_the_address() {
    for db in saw_testkit::backends() {
        let server = Server::start_with(
            &db,
            &[
                ("SAW_ADMIN_EMAIL", ADMIN_EMAIL),
                ("SAW_ADMIN_PASSWORD", ADMIN_PASSWORD),
                ("SAW_MAX_FAILED_SIGN_INS", "3"),
            ],
        );
        let browser = server.browser();
        for attempt in 0..3 {
            let page = browser.sign_in(ADMIN_EMAIL, "errada-123").await;
            assert_eq!(
                page.status,
                StatusCode::UNAUTHORIZED,
                "{}: attempt {attempt}",
                db.name
            );
            assert!(page.body.contains("E-mail ou senha incorretos."));
            assert!(
                page.body.contains(ADMIN_EMAIL),
                "the e-mail typed stays in the form"
            );
        }
        let unknown = server.browser();
        let locked = unknown
            .sign_in("ninguem@loja.com.br", "qualquer-coisa")
            .await;
        assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "{}", db.name);
        assert!(locked.body.contains("Muitas tentativas"), "{}", locked.body);
        let even_right = browser.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(
            even_right.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}: locked means locked",
            db.name
        );
    }
}

#[tokio::test]
async fn state_changing_requests_need_the_csrf_token_and_our_origin() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        let browser = server.browser();
        assert_eq!(
            browser
                .sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
                .await
                .location
                .as_deref(),
            Some("/inbox")
        );
        let settings = [
            ("name", "Loja Nova"),
            ("time_zone", "America/Manaus"),
            ("language", "pt-BR"),
        ];

        let missing = browser.post("/admin/settings", &settings).await;
        assert_eq!(
            missing.status,
            StatusCode::FORBIDDEN,
            "{}: no token",
            db.name
        );
        assert!(missing.body.contains("formulário está desatualizado"));

        let mut forged = vec![("_csrf", "not-the-token")];
        forged.extend_from_slice(&settings);
        assert_eq!(
            browser.post("/admin/settings", &forged).await.status,
            StatusCode::FORBIDDEN,
            "{}: wrong token",
            db.name
        );

        let csrf = browser.get("/admin/settings").await.csrf();
        let mut good = vec![("_csrf", csrf.as_str())];
        good.extend_from_slice(&settings);
        let cross_site = browser
            .http
            .post(server.url("/admin/settings"))
            .header("origin", "https://evil.example")
            .form(&good)
            .send()
            .await
            .unwrap();
        assert_eq!(
            cross_site.status(),
            StatusCode::FORBIDDEN,
            "{}: other origin",
            db.name
        );

        let header_token = browser
            .http
            .post(server.url("/admin/settings"))
            .header("origin", &server.base)
            .header("x-csrf-token", &csrf)
            .form(&settings)
            .send()
            .await
            .unwrap();
        assert_eq!(
            header_token.status(),
            StatusCode::SEE_OTHER,
            "{}: htmx-style header token",
            db.name
        );

        let saved = browser.post("/admin/settings", &good).await;
        assert_eq!(
            saved.location.as_deref(),
            Some("/admin/settings?ok=settings_saved")
        );
        let page = browser.get("/admin/settings").await;
        assert!(
            page.body.contains("Loja Nova") && page.body.contains("America/Manaus"),
            "{}",
            db.name
        );

        let bad_zone = browser
            .submit(
                "/admin/settings",
                "/admin/settings",
                &[
                    ("name", "Loja"),
                    ("time_zone", "Lua/Base"),
                    ("language", "en"),
                ],
            )
            .await;
        assert_eq!(bad_zone.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            bad_zone.body.contains("Fuso horário desconhecido"),
            "{}",
            bad_zone.body
        );
        assert!(
            browser
                .get("/admin/settings")
                .await
                .body
                .contains("America/Manaus"),
            "a refused form changes nothing"
        );

        let english = browser
            .submit(
                "/admin/settings",
                "/admin/settings",
                &[
                    ("name", "Loja Nova"),
                    ("time_zone", "America/Manaus"),
                    ("language", "en"),
                ],
            )
            .await;
        assert_eq!(english.status, StatusCode::SEE_OTHER);
        assert!(
            browser.get("/inbox").await.body.contains("Inbox"),
            "{}: the UI follows the account language",
            db.name
        );
    }
}

#[tokio::test]
async fn sign_out_and_deactivation_end_sessions() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        let added = cli(
            &db,
            &[
                "user",
                "add",
                "--email",
                "bia@loja.com.br",
                "--name",
                "Bia",
                "--role",
                "agent",
                "--password",
                "senha-da-bia",
                "--queue",
                "suporte",
            ],
        );
        assert!(added.status.success(), "{}: {}", db.name, stderr(&added));

        let agent = server.browser();
        assert_eq!(
            agent
                .sign_in("bia@loja.com.br", "senha-da-bia")
                .await
                .location
                .as_deref(),
            Some("/inbox")
        );
        assert_eq!(agent.get("/inbox").await.status, StatusCode::OK);
        let out = agent.submit("/inbox", "/logout", &[]).await;
        assert_eq!(out.location.as_deref(), Some("/login?signed_out=1"));
        assert_eq!(
            agent.get("/inbox").await.location.as_deref(),
            Some("/login"),
            "{}: signed out",
            db.name
        );

        assert_eq!(
            agent
                .sign_in("bia@loja.com.br", "senha-da-bia")
                .await
                .location
                .as_deref(),
            Some("/inbox")
        );
        let deactivated = cli(&db, &["user", "deactivate", "bia@loja.com.br"]);
        assert!(deactivated.status.success(), "{}", stderr(&deactivated));
        assert_eq!(
            agent.get("/inbox").await.location.as_deref(),
            Some("/login"),
            "{}: session ended at once",
            db.name
        );
        assert_eq!(
            agent
                .sign_in("bia@loja.com.br", "senha-da-bia")
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );

        // A new password from the CLI ends the sessions too.
        let admin = server.browser();
        assert_eq!(
            admin
                .sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
                .await
                .location
                .as_deref(),
            Some("/inbox")
        );
        let reset = cli(&db, &["user", "reset-password", ADMIN_EMAIL]);
        assert!(reset.status.success(), "{}", stderr(&reset));
        let new_password =
            between(&stdout(&reset), "password: ", "\n").expect("generated password");
        assert_eq!(
            admin.get("/inbox").await.location.as_deref(),
            Some("/login")
        );
        assert_eq!(
            admin
                .sign_in(ADMIN_EMAIL, &new_password)
                .await
                .location
                .as_deref(),
            Some("/inbox")
        );
        assert_eq!(
            admin.get("/inbox").await.location.as_deref(),
            Some("/account/password"),
            "generated ⇒ must change"
        );
    }
}

/// Wrong second-factor codes are limited per user too, even when they come from many
/// addresses (the proxy's `X-Forwarded-For` is believed only from a trusted proxy).
#[tokio::test]
async fn wrong_second_factor_codes_are_limited_per_user_across_addresses() {
    let db = saw_testkit::sqlite();
    let server = Server::start_with(
        &db,
        &[
            ("SAW_ADMIN_EMAIL", ADMIN_EMAIL),
            ("SAW_ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("SAW_MAX_FAILED_SIGN_INS", "3"),
            ("SAW_TRUSTED_PROXIES", "127.0.0.1"),
        ],
    );
    let browser = server.admin_browser().await;
    browser.submit("/account", "/account/2fa/start", &[]).await;
    let setup = browser.get("/account").await;
    let secret = between(&setup.body, "<code>", "</code>").unwrap();
    let secret_bytes = totp_rs::Secret::Encoded(secret).to_bytes().unwrap();
    let totp = totp_rs::TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        secret_bytes,
        None,
        String::new(),
    )
    .unwrap();
    let confirmed = browser
        .submit(
            "/account",
            "/account/2fa/confirm",
            &[("code", &totp.generate_current().unwrap())],
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK);

    let attacker = server.browser();
    assert_eq!(
        attacker
            .sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .location
            .as_deref(),
        Some("/login/2fa")
    );
    let csrf = attacker.get("/login/2fa").await.csrf();
    let mut statuses = Vec::new();
    for i in 1..=4 {
        let resp = attacker
            .http
            .post(server.url("/login/2fa"))
            .header("origin", &server.base)
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .form(&[("_csrf", csrf.as_str()), ("code", "000000")])
            .send()
            .await
            .unwrap();
        statuses.push(resp.status());
    }
    assert_eq!(
        statuses,
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS
        ],
        "three addresses' wrong codes add up for the user"
    );
    assert_eq!(
        attacker.get("/login/2fa").await.location.as_deref(),
        Some("/login"),
        "the half-finished sign-in ended"
    );
}
