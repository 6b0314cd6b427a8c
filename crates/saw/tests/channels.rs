//! Channels from the command line while `serve` runs: each kind added with its secrets from
//! flags, `SAW_*` variables or standard input; lists that mask every secret; the database
//! holding none in the clear; a number or bot connected twice refused; removal that keeps a
//! channel with history; bad input refused with a reason.

mod common;

use std::io::Write;
use std::process::{Output, Stdio};

use common::*;
use saw_app::{App, AuthPolicy};
use saw_core::channel::ChannelConfig;
use saw_core::ids::{AccountId, ChannelId};
use saw_store::repo::{audit, channels};
use saw_store::{Store, now, params};

const ACCESS_TOKEN: &str = "EAAGm0PX4ZCpsBAKZCZAq1zXeYqT8test";
const SECOND_ACCESS_TOKEN: &str = "EAAGsecondNumberTokenZCpsBAKZCZAq";
const APP_SECRET: &str = "saw-fixtures-app-secret";
const VERIFY_TOKEN: &str = "meu-token-de-verificacao-2026";
const BOT_TOKEN: &str = "123456789:AAEhBOweik9ai2o4Pq3XbQ-yZ_Ld0mWTk7s";

/// `saw args…` with extra variables and, when given, `input` on standard input.
fn run(db: &TestDb, args: &[&str], env: &[(&str, &str)], input: Option<&str>) -> Output {
    let mut cmd = saw(db);
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let Some(input) = input else {
        return cmd.stdin(Stdio::null()).output().expect("run saw");
    };
    let mut child = cmd.stdin(Stdio::piped()).spawn().expect("run saw");
    // A command refused before it reads standard input closes it; that is no failure here.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    child.wait_with_output().expect("run saw")
}

fn ok(out: Output, what: &str) -> Output {
    assert!(
        out.status.success(),
        "{what}: {}\n{}",
        stdout(&out),
        stderr(&out)
    );
    out
}

/// The id in "created … (id 3, …)".
fn id_of(out: &Output) -> ChannelId {
    let text = stdout(out);
    let from = text.find("(id ").expect("an id") + 4;
    let digits: String = text[from..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().expect("a numeric id")
}

/// The services on the test's database, with the key `serve` created in its data dir.
async fn app(db: &TestDb) -> (App, AccountId) {
    let store = Store::open(&db.url).await.expect("open the store");
    let (secrets, _) =
        saw_app::secrets::SecretBox::load(None, &db.data_dir()).expect("the data dir's key");
    let app = App::new(store, secrets, AuthPolicy::default(), &db.data_dir());
    let account = saw_app::account::current(&app).await.unwrap().id;
    (app, account)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn each_kind_is_added_while_serve_runs_and_no_secret_shows_or_is_stored_in_the_clear() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        let mut outputs = Vec::new();

        // Access token from standard input, app secret from the environment, verify token
        // generated and printed once.
        let whatsapp = ok(
            run(
                &db,
                &[
                    "channel",
                    "add",
                    "whatsapp",
                    "--name",
                    "WhatsApp Loja",
                    "--phone-number-id",
                    "112233445566778",
                    "--waba-id",
                    "104952389402837",
                    "--access-token",
                    "-",
                ],
                &[("SAW_WHATSAPP_APP_SECRET", APP_SECRET)],
                Some(&format!("{ACCESS_TOKEN}\n")),
            ),
            db.name,
        );
        let created = stdout(&whatsapp);
        assert!(
            created.contains("created whatsapp channel 'WhatsApp Loja' (id ")
                && created.contains("phone number id 112233445566778"),
            "{}: {created}",
            db.name
        );
        let generated = between(&created, "verify token: ", "\n").expect("generated verify token");
        assert_eq!(generated.len(), 43, "{created}");
        assert!(stderr(&whatsapp).contains("provider was not contacted"));
        let whatsapp_id = id_of(&whatsapp);

        // Everything as flags, the access token from the environment.
        let second = ok(
            run(
                &db,
                &[
                    "channel",
                    "add",
                    "whatsapp",
                    "--name",
                    "WhatsApp Filial",
                    "--phone-number-id",
                    "998877665544332",
                    "--waba-id",
                    "104952389402837",
                    "--app-secret",
                    APP_SECRET,
                    "--verify-token",
                    VERIFY_TOKEN,
                    "--api-base",
                    "http://127.0.0.1:9/graph/",
                ],
                &[("SAW_WHATSAPP_ACCESS_TOKEN", SECOND_ACCESS_TOKEN)],
                None,
            ),
            db.name,
        );
        assert!(
            !stdout(&second).contains("verify token:"),
            "a given verify token is not printed"
        );

        // Bot token from the environment.
        let telegram = ok(
            run(
                &db,
                &[
                    "channel",
                    "add",
                    "telegram",
                    "--name",
                    "Bot de vendas",
                    "--mode",
                    "webhook",
                    "--api-base",
                    "http://127.0.0.1:9",
                ],
                &[("SAW_TELEGRAM_BOT_TOKEN", BOT_TOKEN)],
                None,
            ),
            db.name,
        );
        assert!(
            stdout(&telegram).contains("created telegram channel 'Bot de vendas' (id ")
                && stdout(&telegram).contains("bot 123456789)"),
            "{}",
            stdout(&telegram)
        );
        let telegram_id = id_of(&telegram);

        let sandbox = ok(
            run(
                &db,
                &["channel", "add", "sandbox", "--name", "Sandbox"],
                &[],
                None,
            ),
            db.name,
        );
        assert!(stdout(&sandbox).contains("created sandbox channel 'Sandbox' (id "));
        assert!(
            !stderr(&sandbox).contains("provider"),
            "the sandbox has no provider"
        );

        let list = ok(cli(&db, &["channel", "list"]), db.name);
        let table = stdout(&list);
        for expected in [
            "ID",
            "KIND",
            "KEY",
            "SECRETS",
            "STATUS",
            "WhatsApp Loja",
            "112233445566778",
            "waba=104952389402837",
            "api=https://graph.facebook.com",
            "access_token=EAAG…",
            "app_secret=saw-…",
            "verify_token=",
            "api=http://127.0.0.1:9/graph",
            "Bot de vendas",
            "123456789",
            "mode=webhook",
            "api=http://127.0.0.1:9",
            "bot_token=1234…",
            "webhook_secret=",
            "Sandbox",
            "active",
        ] {
            assert!(table.contains(expected), "{}: {expected}\n{table}", db.name);
        }
        // The header, the first start's sandbox and the four added here.
        assert_eq!(table.lines().count(), 6, "{}: {table}", db.name);

        // Connecting the same number or bot again is refused, whatever the other fields.
        let twice = run(
            &db,
            &[
                "channel",
                "add",
                "whatsapp",
                "--name",
                "Outra",
                "--phone-number-id",
                "112233445566778",
                "--waba-id",
                "1",
                "--access-token",
                ACCESS_TOKEN,
                "--app-secret",
                APP_SECRET,
            ],
            &[],
            None,
        );
        assert_eq!(twice.status.code(), Some(1), "{}", db.name);
        assert!(
            stderr(&twice).contains("already connected"),
            "{}",
            stderr(&twice)
        );
        let same_bot = run(
            &db,
            &[
                "channel",
                "add",
                "telegram",
                "--name",
                "Outro",
                "--bot-token",
                "-",
            ],
            &[],
            Some("123456789:ZZZhBOweik9ai2o4Pq3XbQ-yZ_Ld0mWTk7s\n"),
        );
        assert_eq!(same_bot.status.code(), Some(1), "{}", db.name);
        assert!(stderr(&same_bot).contains("already connected"));
        let after = stdout(&cli(&db, &["channel", "list"]));
        assert_eq!(after.lines().count(), 6, "nothing stored: {after}");

        // The secrets as the adapters will get them.
        let (app, account) = app(&db).await;
        let (_, config) = saw_app::channels::get_decrypted(&app, account, telegram_id)
            .await
            .unwrap();
        let ChannelConfig::Telegram(bot) = config else {
            panic!("{}: not a Telegram config", db.name)
        };
        assert_eq!(bot.secrets.bot_token.expose(), BOT_TOKEN);
        let webhook_secret = bot.secrets.webhook_secret.expose().to_owned();
        let (_, config) = saw_app::channels::get_decrypted(&app, account, whatsapp_id)
            .await
            .unwrap();
        let ChannelConfig::WhatsApp(number) = config else {
            panic!("{}: not a WhatsApp config", db.name)
        };
        assert_eq!(number.secrets.access_token.expose(), ACCESS_TOKEN);
        assert_eq!(number.secrets.app_secret.expose(), APP_SECRET);
        assert_eq!(number.secrets.verify_token.expose(), generated);

        let secrets = [
            ACCESS_TOKEN,
            SECOND_ACCESS_TOKEN,
            APP_SECRET,
            VERIFY_TOKEN,
            BOT_TOKEN,
            &webhook_secret,
            &generated,
        ];
        outputs.extend([second, telegram, sandbox, list, twice, same_bot]);
        for out in &outputs {
            for secret in secrets {
                assert!(
                    !contains(&out.stdout, secret) && !contains(&out.stderr, secret),
                    "{}: a secret was printed:\n{}\n{}",
                    db.name,
                    stdout(out),
                    stderr(out)
                );
            }
        }
        // The generated verify token is printed once, by its own `add`; nothing else is.
        for secret in [ACCESS_TOKEN, APP_SECRET] {
            assert!(!contains(&whatsapp.stdout, secret) && !contains(&whatsapp.stderr, secret));
        }

        // Stored: sealed credentials, settings and audit entries without a secret.
        let rows = app
            .store
            .read(move |c| channels::list(c, account))
            .await
            .unwrap();
        assert_eq!(rows.len(), 5, "the first start's sandbox and four more");
        let entries = app
            .store
            .read(move |c| audit::recent(c, account, 50))
            .await
            .unwrap();
        assert_eq!(
            entries
                .iter()
                .filter(|e| e.action == "channel.created")
                .count(),
            5,
            "{}",
            db.name
        );
        for secret in secrets {
            for row in &rows {
                assert!(!row.settings.contains(secret), "{}", db.name);
                if let Some(sealed) = &row.credentials {
                    assert!(
                        !contains(sealed, secret),
                        "{}: sealed in the clear",
                        db.name
                    );
                }
            }
            for e in &entries {
                let text = format!("{:?} {:?}", e.target, e.detail);
                assert!(!text.contains(secret), "{}: audit {text}", db.name);
            }
        }
        if db.name == "sqlite" {
            for file in ["saw.db", "saw.db-wal"] {
                let Ok(bytes) = std::fs::read(db.data_dir().join(file)) else {
                    continue;
                };
                for secret in secrets {
                    assert!(
                        !contains(&bytes, secret),
                        "{file} holds a secret in the clear"
                    );
                }
            }
        }
        assert_eq!(server.stop().code(), Some(0), "{}", db.name);
    }
}

#[tokio::test]
async fn remove_deletes_a_channel_or_deactivates_one_with_history() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        let sandbox = id_of(&ok(
            cli(&db, &["channel", "add", "sandbox", "--name", "Sandbox"]),
            db.name,
        ));
        let bot = id_of(&ok(
            run(
                &db,
                // While `serve` runs, a polling bot is polled: point it where nothing listens.
                &[
                    "channel",
                    "add",
                    "telegram",
                    "--name",
                    "Bot",
                    "--api-base",
                    NO_PROVIDER,
                ],
                &[("SAW_TELEGRAM_BOT_TOKEN", BOT_TOKEN)],
                None,
            ),
            db.name,
        ));
        let (app, account) = app(&db).await;
        app.store
            .write(move |c| {
                let contact = c.insert_returning_id(
                    "INSERT INTO contacts (account_id, family, external_id, created_at, updated_at)
                     VALUES ($1, 'telegram', '42', $2, $2) RETURNING id",
                    params![account, now()],
                )?;
                c.execute(
                    "INSERT INTO tickets (account_id, contact_id, channel_id, status, protocol, created_at, updated_at)
                     VALUES ($1, $2, $3, 'bot', '2026-000001', $4, $4)",
                    params![account, contact, bot, now()],
                )
                .map(drop)
            })
            .await
            .unwrap();

        let removed = ok(
            cli(&db, &["channel", "remove", &sandbox.to_string()]),
            db.name,
        );
        assert!(
            stdout(&removed).contains("removed sandbox channel 'Sandbox'"),
            "{}",
            stdout(&removed)
        );
        let kept = ok(cli(&db, &["channel", "remove", &bot.to_string()]), db.name);
        assert!(
            stdout(&kept).contains("deactivated telegram channel 'Bot'")
                && stdout(&kept).contains("instead of removing it"),
            "{}: {}",
            db.name,
            stdout(&kept)
        );
        let list = stdout(&cli(&db, &["channel", "list"]));
        assert_eq!(
            list.matches("sandbox ").count(),
            1,
            "only the first start's sandbox is left: {list}"
        );
        assert!(
            list.contains("Bot") && list.contains("deactivated"),
            "{list}"
        );
        let again = ok(cli(&db, &["channel", "remove", &bot.to_string()]), db.name);
        assert!(
            stdout(&again).contains("already deactivated"),
            "{}",
            stdout(&again)
        );

        // A deactivated bot still holds its id: connecting it again is refused.
        let readd = run(
            &db,
            &["channel", "add", "telegram", "--name", "Bot 2"],
            &[("SAW_TELEGRAM_BOT_TOKEN", BOT_TOKEN)],
            None,
        );
        assert_eq!(readd.status.code(), Some(1));
        assert!(stderr(&readd).contains("deactivated ones count too"));

        let unknown = cli(&db, &["channel", "remove", "999"]);
        assert_eq!(unknown.status.code(), Some(1));
        assert!(
            stderr(&unknown).contains("no channel with id 999"),
            "{}",
            stderr(&unknown)
        );

        let actions: Vec<String> = app
            .store
            .read(move |c| audit::recent(c, account, 50))
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action.starts_with("channel."))
            .map(|e| {
                format!(
                    "{} {} {}",
                    e.action,
                    e.target.unwrap_or_default(),
                    e.detail.unwrap_or_default()
                )
            })
            .collect();
        assert_eq!(
            actions,
            [
                format!("channel.deactivated Bot #{bot} telegram 123456789"),
                format!("channel.removed Sandbox #{sandbox} sandbox"),
                format!("channel.created Bot #{bot} telegram 123456789"),
                format!("channel.created Sandbox #{sandbox} sandbox"),
                "channel.created Sandbox #1 sandbox".to_owned(),
            ],
            "{}",
            db.name
        );
        drop(server);
    }
}

#[tokio::test]
async fn bad_input_is_refused_with_a_reason_and_stores_nothing() {
    for db in saw_testkit::backends() {
        let server = Server::start(&db);
        let whatsapp = |phone: &'static str, waba: &'static str, token: &'static str| {
            vec![
                "channel",
                "add",
                "whatsapp",
                "--name",
                "W",
                "--phone-number-id",
                phone,
                "--waba-id",
                waba,
                "--access-token",
                token,
                "--app-secret",
                APP_SECRET,
            ]
        };
        let mut bad_base = whatsapp("1", "2", ACCESS_TOKEN);
        bad_base.extend(["--api-base", "ftp://graph.facebook.com"]);
        let mut two_from_stdin = whatsapp("1", "2", "-");
        two_from_stdin.extend(["--verify-token", "-"]);
        let telegram = |extra: &[&'static str]| {
            let mut args = vec!["channel", "add", "telegram", "--name", "T"];
            args.extend_from_slice(extra);
            args
        };
        let cases: Vec<(Vec<&str>, Option<&str>, i32, &str)> = vec![
            (
                whatsapp("+55 11 94002-8922", "2", ACCESS_TOKEN),
                None,
                1,
                "the phone number id must be digits only",
            ),
            (
                whatsapp("1", "waba", ACCESS_TOKEN),
                None,
                1,
                "the WhatsApp Business Account id must be digits only",
            ),
            (
                whatsapp("1", "2", "two words"),
                None,
                1,
                "the access token must not be empty and must have no spaces",
            ),
            (bad_base, None, 1, "must be an http or https URL"),
            (
                two_from_stdin,
                Some("a\nb\n"),
                1,
                "only one secret can come from standard input",
            ),
            (
                whatsapp("1", "2", "-"),
                Some(""),
                1,
                "standard input held no access token",
            ),
            (
                vec![
                    "channel",
                    "add",
                    "whatsapp",
                    "--name",
                    "W",
                    "--phone-number-id",
                    "1",
                    "--waba-id",
                    "2",
                ],
                None,
                2,
                "--access-token",
            ),
            (
                telegram(&["--bot-token", "12:abc"]),
                None,
                1,
                "the bot token must look like 123456789:AAE…",
            ),
            (
                telegram(&["--bot-token", BOT_TOKEN, "--mode", "push"]),
                None,
                2,
                "polling",
            ),
            (
                telegram(&["--bot-token", BOT_TOKEN, "--api-base", "https://u:p@proxy"]),
                None,
                1,
                "without user, query or fragment",
            ),
            (
                vec!["channel", "add", "sandbox", "--name", "  "],
                None,
                1,
                "the name must not be empty",
            ),
            (
                vec!["channel", "remove", "um"],
                None,
                2,
                "invalid value 'um'",
            ),
        ];
        for (args, input, code, expected) in cases {
            let out = run(&db, &args, &[], input);
            let err = stderr(&out);
            assert_eq!(
                out.status.code(),
                Some(code),
                "{}: {args:?}: {err}",
                db.name
            );
            assert!(err.contains(expected), "{args:?}: {err}");
            assert!(!err.contains("panicked"), "{args:?}: {err}");
            for secret in [ACCESS_TOKEN, APP_SECRET, BOT_TOKEN] {
                assert!(
                    !err.contains(secret) && !stdout(&out).contains(secret),
                    "{args:?} printed a secret"
                );
            }
        }
        let list = stdout(&cli(&db, &["channel", "list"]));
        assert_eq!(
            list.lines().count(),
            2,
            "{}: only the first start's sandbox: {list}",
            db.name
        );

        // Help names every flag and variable, never a variable's value.
        let help = run(
            &db,
            &["channel", "add", "whatsapp", "--help"],
            &[
                ("SAW_WHATSAPP_ACCESS_TOKEN", ACCESS_TOKEN),
                ("SAW_WHATSAPP_APP_SECRET", APP_SECRET),
            ],
            None,
        );
        let text = stdout(&help);
        for expected in [
            "--name",
            "--phone-number-id",
            "--waba-id",
            "--access-token",
            "--app-secret",
            "--verify-token",
            "--api-base",
            "SAW_WHATSAPP_ACCESS_TOKEN",
            "SAW_WHATSAPP_APP_SECRET",
            "SAW_WHATSAPP_VERIFY_TOKEN",
            "https://graph.facebook.com",
            "standard input",
        ] {
            assert!(
                text.contains(expected),
                "whatsapp --help: {expected}\n{text}"
            );
        }
        assert!(!text.contains(ACCESS_TOKEN) && !text.contains(APP_SECRET));
        let help = run(
            &db,
            &["channel", "add", "telegram", "--help"],
            &[("SAW_TELEGRAM_BOT_TOKEN", BOT_TOKEN)],
            None,
        );
        let text = stdout(&help);
        for expected in [
            "--bot-token",
            "SAW_TELEGRAM_BOT_TOKEN",
            "--mode",
            "polling",
            "webhook",
            "https://api.telegram.org",
        ] {
            assert!(
                text.contains(expected),
                "telegram --help: {expected}\n{text}"
            );
        }
        assert!(!text.contains(BOT_TOKEN));
        let help = stdout(&cli(&db, &["channel", "--help"]));
        for expected in ["add", "list", "remove", "masked", "deactivated"] {
            assert!(
                help.contains(expected),
                "channel --help: {expected}\n{help}"
            );
        }
        drop(server);
    }
}
