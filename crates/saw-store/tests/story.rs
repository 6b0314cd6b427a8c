//! One story of the store, told on every backend: the same calls must give the same answers
//! on SQLite and PostgreSQL.

use chrono::Duration;
use saw_core::conversation::ChannelKind;
use saw_core::ids::{AccountId, ChannelId, QueueId, UserId};
use saw_core::user::{Email, Role};
use saw_store::repo::{accounts, audit, channels, queues, sessions, settings, tokens, users};
use saw_store::{Store, StoreError, now, params};

async fn open(db: &saw_testkit::TestDb) -> Store {
    Store::open(&db.url)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", db.name))
}

async fn account_with_admin(store: &Store) -> (AccountId, UserId) {
    store
        .write(|c| {
            let account = accounts::create(c, "Loja", now())?;
            let email = Email::parse("ana@loja.com.br").unwrap();
            let user = users::insert(
                c,
                &users::NewUser {
                    account_id: account,
                    name: "Ana",
                    email: &email,
                    role: Role::Admin,
                    password_hash: "hash",
                    must_change_password: true,
                },
                now(),
            )?;
            Ok::<_, StoreError>((account, user))
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn migrations_apply_once_and_rows_survive_reopening() {
    for db in saw_testkit::backends() {
        let store = open(&db).await;
        assert_eq!(
            store.migrate().await.unwrap(),
            0,
            "{}: migrations ran twice",
            db.name
        );
        let (account, _) = account_with_admin(&store).await;
        drop(store);
        let again = open(&db).await;
        let found = again
            .read(move |c| accounts::by_id(c, account))
            .await
            .unwrap();
        assert_eq!(found.name, "Loja", "{}", db.name);
        assert_eq!(found.time_zone.name(), "America/Sao_Paulo");
        assert_eq!(again.read(users::count).await.unwrap(), 1, "{}", db.name);
    }
}

#[tokio::test]
async fn users_queues_and_conflicts_read_the_same_everywhere() {
    for db in saw_testkit::backends() {
        let store = open(&db).await;
        let (account, admin) = account_with_admin(&store).await;
        let user = store
            .read(move |c| users::by_id(c, account, admin))
            .await
            .unwrap();
        assert_eq!(user.email.as_str(), "ana@loja.com.br");
        assert!(
            user.must_change_password && user.active && !user.totp_enabled,
            "{}",
            db.name
        );

        let duplicate = store
            .write(move |c| {
                let email = Email::parse("ANA@loja.com.br").unwrap();
                users::insert(
                    c,
                    &users::NewUser {
                        account_id: account,
                        name: "Outra",
                        email: &email,
                        role: Role::Agent,
                        password_hash: "h",
                        must_change_password: false,
                    },
                    now(),
                )
            })
            .await
            .unwrap_err();
        assert!(
            duplicate.is_conflict_on("users", "email"),
            "{}: {duplicate:?}",
            db.name
        );

        let (suporte, vendas) = store
            .write(move |c| {
                let s = queues::insert(c, account, "Suporte", "#2563eb", now())?;
                let v = queues::insert(c, account, "Vendas", "#16a34a", now())?;
                queues::set_default(c, account, s)?;
                queues::set_user_queues(c, account, admin, &[s, v])?;
                Ok::<_, StoreError>((s, v))
            })
            .await
            .unwrap();
        let clash = store
            .write(move |c| queues::insert(c, account, " suporte ", "#000000", now()))
            .await
            .unwrap_err();
        assert!(
            clash.is_conflict_on("queues", "name_key"),
            "{}: {clash:?}",
            db.name
        );

        store
            .write(move |c| queues::set_default(c, account, vendas))
            .await
            .unwrap();
        let listed = store.read(move |c| queues::list(c, account)).await.unwrap();
        let defaults: Vec<QueueId> = listed
            .iter()
            .filter(|q| q.is_default)
            .map(|q| q.id)
            .collect();
        assert_eq!(
            defaults,
            vec![vendas],
            "{}: exactly one default queue",
            db.name
        );
        let found = store
            .read(move |c| queues::by_name(c, account, "SUPORTE"))
            .await
            .unwrap();
        assert_eq!(found.map(|q| q.id), Some(suporte));
        let counts = store
            .read(move |c| queues::member_counts(c, account))
            .await
            .unwrap();
        assert!(
            counts.iter().all(|(_, n)| *n == 1),
            "{}: {counts:?}",
            db.name
        );

        let other_account = store
            .write(|c| accounts::create(c, "Outra", now()))
            .await
            .unwrap();
        let hidden = store
            .read(move |c| users::by_id(c, other_account, admin))
            .await
            .unwrap_err();
        assert!(
            matches!(hidden, StoreError::NotFound),
            "{}: another account's user must not be found",
            db.name
        );
    }
}

#[tokio::test]
async fn sessions_tokens_audit_and_settings() {
    for db in saw_testkit::backends() {
        let store = open(&db).await;
        let (account, admin) = account_with_admin(&store).await;
        let created = now();
        store
            .write(move |c| {
                sessions::insert(
                    c,
                    &sessions::NewSession {
                        token_hash: "h1",
                        user_id: admin,
                        csrf_token: "csrf",
                        mfa_pending: false,
                        created_at: created,
                        expires_at: created + Duration::days(1),
                        ip: Some("203.0.113.7"),
                        user_agent: None,
                    },
                )
            })
            .await
            .unwrap();
        let session = store
            .read(|c| sessions::find(c, "h1"))
            .await
            .unwrap()
            .expect("session");
        assert_eq!(session.user.id, admin);
        assert_eq!(
            session.created_at, created,
            "{}: times round-trip exactly",
            db.name
        );
        assert_eq!(
            store
                .write(move |c| sessions::delete_for_user(c, admin))
                .await
                .unwrap(),
            1
        );
        assert!(
            store
                .read(|c| sessions::find(c, "h1"))
                .await
                .unwrap()
                .is_none()
        );

        let id = store
            .write(move |c| {
                tokens::insert(
                    c,
                    &tokens::NewToken {
                        account_id: account,
                        user_id: admin,
                        name: "ci",
                        token_hash: "th",
                        token_prefix: "saw_abc",
                        expires_at: None,
                    },
                    now(),
                )
            })
            .await
            .unwrap();
        let (token, owner) = store
            .read(|c| tokens::find_by_hash(c, "th"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((token.id, owner.id), (id, admin));
        assert!(
            store
                .write(move |c| tokens::revoke(c, account, id, now()))
                .await
                .unwrap()
        );
        assert!(
            !store
                .write(move |c| tokens::revoke(c, account, id, now()))
                .await
                .unwrap(),
            "{}",
            db.name
        );

        for _ in 0..3 {
            let entry = audit::NewEntry {
                action: "sign_in.failed".into(),
                actor: "anonymous".into(),
                ip: Some("198.51.100.4".into()),
                ..Default::default()
            };
            store
                .write(move |c| audit::record(c, &entry, now()))
                .await
                .unwrap();
        }
        let since = now() - Duration::minutes(5);
        let n = store
            .read(move |c| audit::count_from_ip_since(c, "sign_in.failed", "198.51.100.4", since))
            .await
            .unwrap();
        assert_eq!(n, 3, "{}", db.name);
        assert_eq!(
            store
                .read(move |c| audit::recent(c, account, 10))
                .await
                .unwrap()
                .len(),
            3
        );

        store.write(|c| settings::put(c, "k", "v1")).await.unwrap();
        store.write(|c| settings::put(c, "k", "v2")).await.unwrap();
        assert_eq!(
            store
                .read(|c| settings::get(c, "k"))
                .await
                .unwrap()
                .as_deref(),
            Some("v2")
        );
        store.ping().await.unwrap();
    }
}

/// Many concurrent writes: each caller gets its own answer, a failing one rolls back alone,
/// and every acknowledged write is there afterwards.
#[tokio::test]
async fn concurrent_writes_are_group_committed_and_isolated() {
    for db in saw_testkit::backends() {
        let store = open(&db).await;
        let (account, _) = account_with_admin(&store).await;
        let mut tasks = Vec::new();
        for i in 0..200 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store
                    .write(move |c| {
                        queues::insert(c, account, &format!("Fila {i}"), "#111111", now())?;
                        if i % 10 == 0 {
                            // Fails after its first insert: that insert must not survive.
                            queues::insert(c, account, &format!("fila {i}"), "#111111", now())?;
                        }
                        Ok::<_, StoreError>(i)
                    })
                    .await
            }));
        }
        let mut ok = 0;
        for (i, task) in tasks.into_iter().enumerate() {
            match task.await.unwrap() {
                Ok(answer) => {
                    assert_eq!(answer, i);
                    ok += 1;
                }
                Err(e) => assert!(
                    i % 10 == 0 && e.is_conflict_on("queues", "name_key"),
                    "{}: {e:?}",
                    db.name
                ),
            }
        }
        assert_eq!(ok, 180);
        let stored = store.read(move |c| queues::list(c, account)).await.unwrap();
        assert_eq!(
            stored.len(),
            180,
            "{}: failed writes left rows behind",
            db.name
        );
    }
}

/// `writes_waiting` counts the writes queued or running, the writer's backlog by which the
/// outbox stands aside in a burst; a write whose caller gave up still counts until it ran.
#[tokio::test]
async fn writes_waiting_counts_the_writers_backlog() {
    for db in saw_testkit::backends() {
        let store = open(&db).await;
        // The migrations' write is answered a moment before the writer lets go of it.
        until(|| store.writes_waiting() == 0, db.name).await;
        // A write that holds the writer thread until it is let go.
        let (let_go, held) = std::sync::mpsc::channel::<()>();
        let holding = tokio::spawn({
            let store = store.clone();
            async move {
                store
                    .write(move |_| {
                        let _ = held.recv();
                        Ok::<_, StoreError>(())
                    })
                    .await
            }
        });
        let queued: Vec<_> = (0..5)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { store.write(|c| c.scalar_i64("SELECT 1", &[])).await })
            })
            .collect();
        // The held write is running, the five others queued behind it.
        until(|| store.writes_waiting() == 6, db.name).await;
        queued[4].abort();
        tokio::task::yield_now().await;
        assert_eq!(
            store.writes_waiting(),
            6,
            "{}: the writer still has it",
            db.name
        );
        let_go.send(()).unwrap();
        holding.await.unwrap().unwrap();
        for write in queued.into_iter().take(4) {
            assert_eq!(write.await.unwrap().unwrap(), 1);
        }
        until(|| store.writes_waiting() == 0, db.name).await;
    }
}

/// Waits for a condition that other tasks make true; fails after 10 s rather than hang.
async fn until(condition: impl Fn() -> bool, what: &str) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: never came true"
        );
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
}

/// Replayable writes share a savepoint: when one fails (or panics), the others of its run
/// are rolled back and run again, and nothing of the failed one stays. A write that runs
/// once keeps its own savepoint between them.
#[tokio::test]
async fn replayable_writes_run_again_when_a_neighbour_fails() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    for db in saw_testkit::backends() {
        let store = open(&db).await;
        let (account, _) = account_with_admin(&store).await;
        // Holds the writer until every write below is queued, so they share one batch.
        let (release, released) = std::sync::mpsc::channel::<()>();
        let blocker = tokio::spawn({
            let store = store.clone();
            async move {
                store
                    .write(move |_| {
                        let _ = released.recv_timeout(std::time::Duration::from_secs(10));
                        Ok::<_, StoreError>(())
                    })
                    .await
            }
        });
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;

        // (queue name, how it ends); every write counts its runs.
        let plan = [
            ("Fila A", "ok"),
            ("Fila B", "conflict"),
            ("Fila C", "once"),
            ("Fila D", "ok"),
            ("Fila E", "panic"),
            ("Fila F", "ok"),
            ("Fila G", "conflict"),
        ];
        let mut tasks = Vec::new();
        for (name, end) in plan {
            let store = store.clone();
            let runs = Arc::new(AtomicUsize::new(0));
            let counted = runs.clone();
            let write = move |c: &mut dyn saw_store::Conn| {
                counted.fetch_add(1, Ordering::SeqCst);
                queues::insert(c, account, name, "#111111", now())?;
                match end {
                    "conflict" => {
                        queues::insert(c, account, &name.to_lowercase(), "#111111", now())?;
                    }
                    "panic" => panic!("a write that panics (on purpose)"),
                    _ => {}
                }
                Ok::<_, StoreError>(name)
            };
            tasks.push((
                name,
                end,
                runs,
                tokio::spawn(async move {
                    match end {
                        "once" => store.write(write).await,
                        _ => store.write_replayable(write).await,
                    }
                }),
            ));
            tokio::task::yield_now().await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        release.send(()).unwrap();
        blocker.await.unwrap().unwrap();

        let mut runs_of = std::collections::HashMap::new();
        for (name, end, runs, task) in tasks {
            let answer = task.await.unwrap();
            match end {
                "conflict" => assert!(
                    answer
                        .as_ref()
                        .is_err_and(|e| e.is_conflict_on("queues", "name_key")),
                    "{}: {name}: {answer:?}",
                    db.name
                ),
                "panic" => assert!(answer.is_err(), "{}: {name}", db.name),
                _ => assert_eq!(answer.as_deref().ok(), Some(name), "{}", db.name),
            }
            runs_of.insert(name, runs.load(Ordering::SeqCst));
        }
        // A ran again after B failed, D after E panicked, F (and not D again) after G
        // failed; C ran once, in its own savepoint.
        for (name, runs) in [
            ("Fila A", 2),
            ("Fila B", 1),
            ("Fila C", 1),
            ("Fila D", 2),
            ("Fila E", 1),
            ("Fila F", 2),
            ("Fila G", 1),
        ] {
            assert_eq!(runs_of[name], runs, "{}: runs of {name}", db.name);
        }
        let mut stored: Vec<String> = store
            .read(move |c| queues::list(c, account))
            .await
            .unwrap()
            .into_iter()
            .map(|q| q.name)
            .filter(|n| n.starts_with("Fila"))
            .collect();
        stored.sort();
        assert_eq!(
            stored,
            ["Fila A", "Fila C", "Fila D", "Fila F"],
            "{}",
            db.name
        );
    }
}

/// A new ticket of `contact` (an id) with the bot, and its protocol.
fn bot_ticket(
    c: &mut dyn saw_store::Conn,
    account: AccountId,
    contact: i64,
    channel: ChannelId,
) -> Result<(saw_core::ids::TicketId, String), StoreError> {
    saw_store::repo::tickets::insert(
        c,
        &saw_store::repo::tickets::NewTicket {
            account_id: account,
            contact_id: saw_core::ids::ContactId::new(contact),
            channel_id: channel,
            queue_id: None,
            status: saw_core::conversation::TicketStatus::Bot,
        },
        now(),
    )
}

/// A contact and a ticket on `channel`, written the way the engine will (no repo for them yet).
fn ticket_on(
    c: &mut dyn saw_store::Conn,
    account: AccountId,
    channel: ChannelId,
) -> Result<(), StoreError> {
    let contact = c.insert_returning_id(
        "INSERT INTO contacts (account_id, family, external_id, created_at, updated_at)
         VALUES ($1, 'telegram', '42', $2, $2) RETURNING id",
        params![account, now()],
    )?;
    c.execute(
        "INSERT INTO tickets (account_id, contact_id, channel_id, status, protocol, created_at, updated_at)
         VALUES ($1, $2, $3, 'bot', '2026-000001', $4, $4)",
        params![account, contact, channel, now()],
    )
    .map(drop)
}

#[tokio::test]
async fn channels_are_routed_by_provider_key_and_kept_while_referenced() {
    for db in saw_testkit::backends() {
        let store = open(&db).await;
        let (account, _) = account_with_admin(&store).await;
        let sealed = vec![0u8, 1, 2, 255];
        let stored = sealed.clone();
        let (whatsapp, telegram, sandbox) = store
            .write(move |c| {
                let new = |kind, name, key| channels::NewChannel {
                    account_id: account,
                    kind,
                    name,
                    provider_key: key,
                    settings: r#"{"api_base":"http://127.0.0.1:9"}"#,
                    credentials: Some(&stored),
                };
                let w = channels::insert(
                    c,
                    &new(
                        ChannelKind::WhatsApp,
                        "WhatsApp Loja",
                        Some("112233445566778"),
                    ),
                    now(),
                )?;
                // The same digits as another kind's key are another provider's id: allowed.
                let t = channels::insert(
                    c,
                    &new(ChannelKind::Telegram, "Bot", Some("112233445566778")),
                    now(),
                )?;
                let s = channels::insert(
                    c,
                    &channels::NewChannel {
                        provider_key: None,
                        credentials: None,
                        settings: "{}",
                        ..new(ChannelKind::Sandbox, "Sandbox", None)
                    },
                    now(),
                )?;
                // Sandboxes have no key: several may exist.
                channels::insert(
                    c,
                    &channels::NewChannel {
                        provider_key: None,
                        credentials: None,
                        settings: "{}",
                        ..new(ChannelKind::Sandbox, "Sandbox 2", None)
                    },
                    now(),
                )?;
                Ok::<_, StoreError>((w, t, s))
            })
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.name));

        let taken = store
            .write(move |c| {
                channels::insert(
                    c,
                    &channels::NewChannel {
                        account_id: account,
                        kind: ChannelKind::WhatsApp,
                        name: "Outro",
                        provider_key: Some("112233445566778"),
                        settings: "{}",
                        credentials: None,
                    },
                    now(),
                )
            })
            .await
            .unwrap_err();
        assert!(
            taken.is_conflict_on("channels", "provider_key"),
            "{}: {taken:?}",
            db.name
        );

        let found = store
            .read(|c| channels::by_provider_key(c, ChannelKind::WhatsApp, "112233445566778"))
            .await
            .unwrap()
            .expect("routed by phone number id");
        assert_eq!(found.channel.id, whatsapp, "{}", db.name);
        assert_eq!(found.channel.name, "WhatsApp Loja");
        assert_eq!(
            found.credentials.as_deref(),
            Some(&sealed[..]),
            "{}",
            db.name
        );
        assert!(found.settings.contains("127.0.0.1:9"));
        assert!(found.channel.active);
        assert!(
            store
                .read(|c| channels::by_provider_key(c, ChannelKind::Telegram, "999"))
                .await
                .unwrap()
                .is_none()
        );
        let listed = store
            .read(move |c| channels::list(c, account))
            .await
            .unwrap();
        assert_eq!(
            listed
                .iter()
                .map(|s| s.channel.id)
                .take(3)
                .collect::<Vec<_>>(),
            vec![whatsapp, telegram, sandbox],
            "{}",
            db.name
        );
        assert_eq!(listed.len(), 4);
        assert_eq!(listed[2].channel.provider_key, None);
        assert_eq!(listed[2].credentials, None);

        // Referenced by a ticket: the delete is refused and nothing changes.
        store
            .write(move |c| ticket_on(c, account, telegram))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.name));
        assert!(
            store
                .read(move |c| channels::is_referenced(c, telegram))
                .await
                .unwrap()
        );
        assert!(
            !store
                .read(move |c| channels::is_referenced(c, sandbox))
                .await
                .unwrap()
        );
        let refused = store
            .write(move |c| {
                channels::lock(c, account, telegram)?;
                channels::delete(c, account, telegram)
            })
            .await
            .unwrap_err();
        assert!(
            matches!(refused, StoreError::Referenced),
            "{}: {refused:?}",
            db.name
        );
        store
            .write(move |c| channels::set_active(c, account, telegram, false, now()))
            .await
            .unwrap();
        let kept = store
            .read(move |c| channels::by_id(c, account, telegram))
            .await
            .unwrap();
        assert!(!kept.channel.active, "{}", db.name);
        assert!(kept.channel.updated_at >= kept.channel.created_at);

        store
            .write(move |c| channels::delete(c, account, sandbox))
            .await
            .unwrap();
        let gone = store
            .read(move |c| channels::by_id(c, account, sandbox))
            .await
            .unwrap_err();
        assert!(matches!(gone, StoreError::NotFound), "{}", db.name);

        // Another account neither sees nor deletes this account's channels.
        let other = store
            .write(|c| accounts::create(c, "Outra", now()))
            .await
            .unwrap();
        let hidden = store
            .write(move |c| channels::delete(c, other, whatsapp))
            .await
            .unwrap_err();
        assert!(matches!(hidden, StoreError::NotFound), "{}", db.name);
        assert!(
            store
                .read(move |c| channels::list(c, other))
                .await
                .unwrap()
                .is_empty()
        );
    }
}

/// A WhatsApp customer first seen by their business-scoped user id (number hidden) who later
/// comes with their number is the same contact.
#[tokio::test]
async fn a_contact_seen_by_user_id_keeps_its_identity_when_the_number_appears() {
    use saw_store::repo::contacts::{SeenContact, upsert_seen};
    for db in saw_testkit::backends() {
        let store = open(&db).await;
        let (account, _) = account_with_admin(&store).await;
        let (first, second, other) = store
            .write(move |c| {
                let seen = |external_id, user_id| SeenContact {
                    account_id: account,
                    family: "whatsapp",
                    external_id,
                    name: Some("Maria"),
                    phone: None,
                    provider_user_id: user_id,
                };
                let first = upsert_seen(c, &seen("BR.123", Some("BR.123")), now())?;
                let second = upsert_seen(c, &seen("5511987654321", Some("BR.123")), now())?;
                let other = upsert_seen(c, &seen("5511900000000", None), now())?;
                Ok::<_, StoreError>((first, second, other))
            })
            .await
            .unwrap();
        assert_eq!(first, second, "{}", db.name);
        assert_ne!(first, other, "{}", db.name);
    }
}

/// A message from a contact exactly as stored writes nothing; a new name or user id
/// replaces the stored one, a phone only fills a missing one.
#[tokio::test]
async fn a_contact_is_written_again_only_when_a_message_changes_it() {
    use saw_store::repo::contacts::{SeenContact, upsert_seen};
    for db in saw_testkit::backends() {
        let store = open(&db).await;
        let (account, _) = account_with_admin(&store).await;
        let name = db.name;
        store
            .write(move |c| {
                let seen = |name, phone| SeenContact {
                    account_id: account,
                    family: "whatsapp",
                    external_id: "5511987654321",
                    name,
                    phone,
                    provider_user_id: None,
                };
                let start = now();
                let at = |minutes| start + Duration::minutes(minutes);
                let stored = |c: &mut dyn saw_store::Conn, contact: saw_core::ids::ContactId| {
                    c.query_one(
                        "SELECT name, phone, updated_at FROM contacts WHERE id = $1",
                        params![contact],
                        |r| {
                            Ok((
                                r.opt_text(0)?,
                                r.opt_text(1)?,
                                r.time(2)?.timestamp_millis(),
                            ))
                        },
                    )
                };
                let ms = |minutes| at(minutes).timestamp_millis();
                let contact = upsert_seen(c, &seen(Some("Maria"), None), at(0))?;
                for (minutes, name_seen, phone_seen, expected) in [
                    (1, Some("Maria"), None, (Some("Maria"), None, ms(0))),
                    (2, None, None, (Some("Maria"), None, ms(0))),
                    (
                        3,
                        Some("Maria Souza"),
                        None,
                        (Some("Maria Souza"), None, ms(3)),
                    ),
                    (
                        4,
                        Some("Maria Souza"),
                        Some("+5511987654321"),
                        (Some("Maria Souza"), Some("+5511987654321"), ms(4)),
                    ),
                    (
                        5,
                        None,
                        Some("+5511900000000"),
                        (Some("Maria Souza"), Some("+5511987654321"), ms(4)),
                    ),
                ] {
                    let again = upsert_seen(c, &seen(name_seen, phone_seen), at(minutes))?;
                    assert_eq!(again, contact, "{name}: minute {minutes}");
                    let (n, p, updated) = stored(c, contact)?;
                    let expected = (
                        expected.0.map(str::to_owned),
                        expected.1.map(str::to_owned),
                        expected.2,
                    );
                    assert_eq!((n, p, updated), expected, "{name}: minute {minutes}");
                }
                Ok::<_, StoreError>(())
            })
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.name));
    }
}

/// A ticket's protocol is its day and its id, written with the row; an id past six digits
/// is written whole.
#[tokio::test]
async fn a_ticket_protocol_is_its_day_and_id() {
    use saw_core::conversation::TicketStatus;
    use saw_core::ids::ContactId;
    use saw_store::repo::tickets;

    for db in saw_testkit::backends() {
        let store = open(&db).await;
        let (account, _) = account_with_admin(&store).await;
        let name = db.name;
        store
            .write(move |c| {
                let channel = channels::insert(
                    c,
                    &channels::NewChannel::sandbox(account, "Sandbox"),
                    now(),
                )?;
                let contact = ContactId::new(c.insert_returning_id(
                    "INSERT INTO contacts (account_id, family, external_id, created_at, updated_at)
                     VALUES ($1, 'sandbox', 'cliente', $2, $2) RETURNING id",
                    params![account, now()],
                )?);
                let new = tickets::NewTicket {
                    account_id: account,
                    contact_id: contact,
                    channel_id: channel,
                    queue_id: None,
                    status: TicketStatus::Resolved,
                };
                let at = now();
                let day = at.format("%Y%m%d");
                let (first, protocol) = tickets::insert(c, &new, at)?;
                assert_eq!(protocol, format!("{day}-{:06}", first.get()), "{name}");
                assert_eq!(tickets::protocol(c, first)?, protocol, "{name}");
                let (second, protocol) = tickets::insert(c, &new, at)?;
                assert_eq!(second.get(), first.get() + 1, "{name}");
                assert_eq!(tickets::protocol(c, second)?, protocol, "{name}");

                match c.dialect() {
                    saw_store::Dialect::Sqlite => c.execute(
                        "INSERT INTO tickets (id, account_id, contact_id, channel_id, status, protocol, created_at, updated_at)
                         VALUES (1234566, $1, $2, $3, 'resolved', 'importado-1', $4, $4)",
                        params![account, contact, channel, at],
                    )?,
                    saw_store::Dialect::Postgres => c.scalar_i64(
                        "SELECT setval(pg_get_serial_sequence('tickets', 'id'), 1234566)",
                        params![],
                    )? as u64,
                };
                let (long, protocol) = tickets::insert(c, &new, at)?;
                assert_eq!(long.get(), 1_234_567, "{name}");
                assert_eq!(protocol, format!("{day}-1234567"), "{name}");
                assert_eq!(tickets::protocol(c, long)?, protocol, "{name}");
                Ok::<_, StoreError>(())
            })
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.name));
    }
}

#[tokio::test]
async fn each_queue_counts_its_waiting_tickets_through_every_change() {
    use saw_core::ids::TicketId;
    use saw_store::repo::tickets;

    for db in saw_testkit::backends() {
        let store = open(&db).await;
        let (account, agent) = account_with_admin(&store).await;
        let name = db.name;
        store
            .write(move |c| {
                let comercial = queues::insert(c, account, "Comercial", "#0a0", now())?;
                let suporte = queues::insert(c, account, "Suporte", "#00a", now())?;
                let channel = channels::insert(
                    c,
                    &channels::NewChannel::sandbox(account, "Sandbox"),
                    now(),
                )?;
                let mut ticket_ids = Vec::new();
                for n in 0..4 {
                    let contact = c.insert_returning_id(
                        "INSERT INTO contacts (account_id, family, external_id, created_at, updated_at)
                         VALUES ($1, 'sandbox', $2, $3, $3) RETURNING id",
                        params![account, &format!("cliente-{n}"), now()],
                    )?;
                    ticket_ids.push(TicketId::new(c.insert_returning_id(
                        "INSERT INTO tickets (account_id, contact_id, channel_id, status, protocol, created_at, updated_at)
                         VALUES ($1, $2, $3, 'bot', $4, $5, $5) RETURNING id",
                        params![account, contact, channel, &format!("2026-00000{n}"), now()],
                    )?));
                }
                // The counter against a plain count, after every step.
                let check = |c: &mut dyn saw_store::Conn, step: &str| -> Result<(), StoreError> {
                    for queue in [comercial, suporte] {
                        let counted = c.query_one(
                            "SELECT COUNT(*) FROM tickets WHERE queue_id = $1 AND status = 'pending'",
                            params![queue],
                            |r| r.i64(0),
                        )?;
                        assert_eq!(
                            tickets::pending_in_queue(c, queue)?,
                            counted,
                            "{name}: {step}, queue {queue}"
                        );
                    }
                    Ok(())
                };
                check(c, "with the bot")?;
                for ticket in &ticket_ids[..3] {
                    tickets::queue_from_bot(c, account, *ticket, Some(comercial), now())?;
                }
                tickets::queue_from_bot(c, account, ticket_ids[3], Some(suporte), now())?;
                check(c, "handed to queues")?;
                assert_eq!(tickets::pending_in_queue(c, comercial)?, 3, "{name}");
                // Queued again where it already waits: still one ticket.
                tickets::queue_from_bot(c, account, ticket_ids[0], Some(comercial), now())?;
                check(c, "queued again in the same queue")?;
                assert!(tickets::accept(c, account, ticket_ids[1], agent, now())?);
                check(c, "accepted")?;
                c.execute(
                    "UPDATE tickets SET queue_id = $2 WHERE id = $1",
                    params![ticket_ids[2], suporte],
                )?;
                check(c, "moved to another queue")?;
                c.execute(
                    "UPDATE tickets SET status = 'resolved' WHERE id = $1",
                    params![ticket_ids[3]],
                )?;
                check(c, "resolved")?;
                c.execute(
                    "DELETE FROM ticket_events WHERE ticket_id = $1",
                    params![ticket_ids[0]],
                )?;
                c.execute("DELETE FROM tickets WHERE id = $1", params![ticket_ids[0]])?;
                check(c, "removed")?;
                assert_eq!(tickets::pending_in_queue(c, comercial)?, 0, "{name}");
                assert_eq!(tickets::pending_in_queue(c, suporte)?, 1, "{name}");
                Ok::<_, StoreError>(())
            })
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.name));
    }
}

/// Messages are counted in their hour as they are stored, with the ticket's queue and agent
/// of that moment and the author; notes are not counted. Counting again from scratch (a
/// history written in bulk) counts the same messages, by the ticket's queue and agent of
/// now.
#[tokio::test]
async fn messages_are_counted_per_hour_as_they_are_stored() {
    use saw_core::conversation::MessageKind;
    use saw_store::repo::{messages, outbox, tallies, tickets};

    let at = |text: &str| chrono::DateTime::parse_from_rfc3339(text).unwrap().to_utc();
    for db in saw_testkit::backends() {
        let store = open(&db).await;
        let (account, agent) = account_with_admin(&store).await;
        let name = db.name;
        let tally = move |c: &mut dyn saw_store::Conn| {
            c.query_all(
                "SELECT hour, channel_id, queue_id, assignee_id, author_user_id, direction, n
                 FROM message_tallies WHERE account_id = $1
                 ORDER BY hour, direction, queue_id, assignee_id, author_user_id",
                params![account],
                |r| {
                    Ok((
                        r.time(0)?,
                        r.i64(1)?,
                        r.i64(2)?,
                        r.i64(3)?,
                        r.i64(4)?,
                        r.text(5)?,
                        r.i64(6)?,
                    ))
                },
            )
        };
        let (channel, queue, counted) = store
            .write(move |c| {
                let channel =
                    channels::insert(c, &channels::NewChannel::sandbox(account, "Sandbox"), now())?;
                let queue = queues::insert(c, account, "Vendas", "#0a0", now())?;
                let contact = c.insert_returning_id(
                    "INSERT INTO contacts (account_id, family, external_id, created_at, updated_at)
                     VALUES ($1, 'whatsapp', '5511999990001', $2, $2) RETURNING id",
                    params![account, now()],
                )?;
                let (ticket, _) = bot_ticket(c, account, contact, channel)?;
                let inbound = |c: &mut dyn saw_store::Conn, id: &str, when: &str| {
                    messages::insert_inbound(
                        c,
                        &messages::NewInbound {
                            account_id: account,
                            ticket_id: ticket,
                            channel_id: channel,
                            provider_id: id,
                            kind: MessageKind::Text,
                            body: Some("oi"),
                            media_ref: None,
                            media_type: None,
                            media_filename: None,
                            reply_to_provider_id: None,
                            raw: None,
                            at: at(when),
                        },
                        now(),
                    )
                };
                // With the bot: no queue, no agent.
                inbound(c, "wamid.1", "2026-12-05T13:59:59.999Z")?;
                let bot = outbox::NewOutbound {
                    account_id: account,
                    ticket_id: ticket,
                    channel_id: channel,
                    body: "Olá! Escolha uma opção.",
                    author: None,
                };
                outbox::enqueue_text(c, &bot, at("2026-12-05T13:59:59.999Z"))?;
                // In the queue, then taken by the agent, who replies and writes a note.
                tickets::queue_from_bot(
                    c,
                    account,
                    ticket,
                    Some(queue),
                    at("2026-12-05T14:00:00Z"),
                )?;
                inbound(c, "wamid.2", "2026-12-05T14:00:00Z")?;
                inbound(c, "wamid.3", "2026-12-05T14:30:00Z")?;
                tickets::take_on_reply(c, account, ticket, agent, at("2026-12-05T14:31:00Z"))?;
                let reply = outbox::NewOutbound {
                    author: Some(agent),
                    body: "Já vejo.",
                    ..bot
                };
                outbox::enqueue_text(c, &reply, at("2026-12-05T14:31:00Z"))?;
                messages::insert_note(
                    c,
                    account,
                    ticket,
                    channel,
                    agent,
                    "cliente antigo",
                    at("2026-12-05T14:32:00Z"),
                )?;
                Ok::<_, StoreError>((channel, queue, tally(c)?))
            })
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let (channel, queue, agent) = (channel.get(), queue.get(), agent.get());
        let thirteen = at("2026-12-05T13:00:00Z");
        let fourteen = at("2026-12-05T14:00:00Z");
        assert_eq!(
            counted,
            vec![
                (thirteen, channel, 0, 0, 0, "in".to_owned(), 1),
                (thirteen, channel, 0, 0, 0, "out".to_owned(), 1),
                (fourteen, channel, queue, 0, 0, "in".to_owned(), 2),
                (fourteen, channel, queue, agent, agent, "out".to_owned(), 1),
            ],
            "{name}"
        );
        let recounted = store
            .write(move |c| {
                tallies::recount(c, account)?;
                tally(c)
            })
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // A recount sees the ticket as it is now: in the queue and the agent's.
        assert_eq!(
            recounted,
            vec![
                (thirteen, channel, queue, agent, 0, "in".to_owned(), 1),
                (thirteen, channel, queue, agent, 0, "out".to_owned(), 1),
                (fourteen, channel, queue, agent, 0, "in".to_owned(), 2),
                (fourteen, channel, queue, agent, agent, "out".to_owned(), 1),
            ],
            "{name}"
        );
    }
}

/// Every insert answers its own row's id, also where a trigger inserts rows elsewhere (on
/// SQLite, a temporary one here whose rows' ids run far ahead), where other rows are written
/// beside it (a message's insert counts it in the hourly tallies) and once ids are no longer
/// in step between tables.
#[tokio::test]
async fn inserts_answer_their_own_rows_id_through_triggers() {
    use saw_core::conversation::MessageKind;
    use saw_store::repo::{contacts, messages};

    for db in saw_testkit::backends() {
        let store = open(&db).await;
        let (account, _) = account_with_admin(&store).await;
        let name = db.name;
        store
            .write(move |c| {
                let channel = channels::insert(
                    c,
                    &channels::NewChannel::sandbox(account, "Sandbox"),
                    now(),
                )?;
                // Other tables' ids run ahead, so an answer from the wrong table shows.
                for n in 0..5 {
                    queues::insert(c, account, &format!("Fila {n}"), "#0a0", now())?;
                }
                // The SQLite driver answers an insert's id from the connection's last rowid,
                // which a trigger's own inserts must not leave behind.
                if c.dialect() == saw_store::Dialect::Sqlite {
                    c.execute_batch(
                        "CREATE TEMP TABLE scratch (id INTEGER PRIMARY KEY);
                         INSERT INTO scratch (id) VALUES (1000000);
                         CREATE TEMP TRIGGER scratch_on_message AFTER INSERT ON messages
                         BEGIN INSERT INTO scratch (id) VALUES (NULL); END;",
                    )?;
                }
                let contact = c.insert_returning_id(
                    "INSERT INTO contacts (account_id, family, external_id, name, created_at, updated_at)
                     VALUES ($1, 'sandbox', 'cliente', 'Maria', $2, $2) RETURNING id",
                    params![account, now()],
                )?;
                assert_eq!(contacts::name(c, saw_core::ids::ContactId::new(contact))?.as_deref(), Some("Maria"), "{name}");
                let (ticket, protocol) = bot_ticket(c, account, contact, channel)?;
                assert!(protocol.ends_with(&format!("{:06}", ticket.get())), "{name}: {protocol}");
                for n in 0..3 {
                    let body = format!("mensagem {n}");
                    let id = messages::insert_inbound(
                        c,
                        &messages::NewInbound {
                            account_id: account,
                            ticket_id: ticket,
                            channel_id: channel,
                            provider_id: &format!("wamid.{n}"),
                            kind: MessageKind::Text,
                            body: Some(&body),
                            media_ref: None,
                            media_type: None,
                            media_filename: None,
                            reply_to_provider_id: None,
                            raw: None,
                            at: now(),
                        },
                        now(),
                    )?;
                    let stored = messages::by_id(c, account, id)?;
                    assert_eq!(stored.body.as_deref(), Some(body.as_str()), "{name}");
                    assert_eq!(stored.ticket_id, ticket, "{name}");
                }
                let tallied = c.scalar_i64(
                    "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM message_tallies WHERE account_id = $1",
                    params![account],
                )?;
                assert_eq!(tallied, 3, "{name}: every message was counted");
                Ok::<_, StoreError>(())
            })
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.name));
    }
}

/// The status and kind rules of the busiest tables hold on every backend, and on SQLite they
/// are checked without building a temporary index for each row (a CHECK with an IN list does).
#[tokio::test]
async fn status_rules_hold_and_cost_sqlite_no_temporary_index() {
    for db in saw_testkit::backends() {
        let store = open(&db).await;
        let (account, _) = account_with_admin(&store).await;
        let refused = store
            .write(move |c| {
                c.execute(
                    "INSERT INTO ticket_events (account_id, ticket_id, kind, at) VALUES ($1, 1, 'lost', $2)",
                    params![account, now()],
                )
            })
            .await;
        assert!(
            matches!(&refused, Err(StoreError::Database(why)) if why.to_lowercase().contains("check")),
            "{}: an unknown kind was not refused by its rule: {refused:?}",
            db.name
        );
        if db.name != "sqlite" {
            continue;
        }
        let writes = [
            "INSERT INTO ticket_events (account_id, ticket_id, kind, at) VALUES (1, 1, 'created', 1)",
            "INSERT INTO tickets (account_id, contact_id, channel_id, status, protocol, created_at, updated_at)
             VALUES (1, 1, 1, 'bot', 'p', 1, 1)",
            "UPDATE tickets SET status = 'pending' WHERE id = 1",
            "INSERT INTO messages (account_id, ticket_id, channel_id, direction, kind, status, media_state, created_at, updated_at)
             VALUES (1, 1, 1, 'in', 'text', 'delivered', 'pending', 1, 1)",
            "UPDATE messages SET status = 'read' WHERE id = 1",
            "INSERT INTO pending_statuses (channel_id, provider_id, status, at) VALUES (1, 'x', 'read', 1)",
            "UPDATE users SET role = 'agent', status = 'away' WHERE id = 1",
            "UPDATE channels SET kind = 'sandbox' WHERE id = 1",
            "UPDATE queues SET distribution = 'manual' WHERE id = 1",
        ];
        for sql in writes {
            let explained = format!("EXPLAIN {sql}");
            let opcodes = store
                .read(move |c| c.query_all(&explained, &[], |r| r.text(1)))
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            assert!(
                !opcodes.iter().any(|op| op == "OpenEphemeral"),
                "a temporary index for: {sql}"
            );
        }
    }
}

/// A customer's message looks up their tickets by contact and channel on SQLite, not by
/// channel alone (every ticket of a WhatsApp number), now that the status is out of that
/// index (0018). The queries are those of `tickets::open_for_contact`,
/// `tickets::resolved_since`, the rating lookup and the contact's tickets.
#[tokio::test]
async fn a_customers_tickets_are_found_through_an_index() {
    let db = saw_testkit::sqlite();
    let store = open(&db).await;
    let lookups = [
        (
            "SELECT id, status FROM tickets WHERE contact_id = 1 AND channel_id = 1 AND status <> 'resolved'
             ORDER BY id DESC LIMIT 1",
            "USING INDEX tickets_one_unresolved (contact_id=? AND channel_id=?)",
        ),
        (
            "SELECT id FROM tickets WHERE contact_id = 1 AND channel_id = 1 AND status = 'resolved'
             AND resolved_at >= 0 ORDER BY id DESC LIMIT 1",
            "USING INDEX tickets_contact_channel (contact_id=? AND channel_id=?)",
        ),
        (
            "SELECT id FROM tickets WHERE contact_id = 1 AND channel_id = 1 AND status = 'resolved'
             AND csat_asked_at >= 0 AND csat_rating IS NULL ORDER BY id DESC LIMIT 1",
            "USING INDEX tickets_contact_channel (contact_id=? AND channel_id=?)",
        ),
        (
            // The contact's page lists their tickets (`tickets::of_contact`), sorting the
            // contact's few.
            "SELECT t.id FROM tickets t WHERE t.account_id = 1 AND t.contact_id = 1
             ORDER BY t.id DESC LIMIT 20",
            "USING INDEX tickets_contact_channel (contact_id=?)",
        ),
    ];
    searched_through(&store, &lookups).await;
}

/// Rows leave in the order they fall due, and a row that must wait (a customer's pace, a
/// retry) keeps its ticket's later rows waiting with it, those queued meanwhile included:
/// until then a lease does not meet them at all. On SQLite the lease walks the queued rows by
/// due time, so rows still waiting lie past the end of its walk.
#[tokio::test]
async fn a_waiting_row_holds_its_tickets_later_rows_back_and_rows_leave_as_they_fall_due() {
    use saw_store::repo::outbox;

    for db in saw_testkit::backends() {
        let store = open(&db).await;
        let (account, _) = account_with_admin(&store).await;
        let name = db.name;
        let t0 = now();
        let at = move |secs: i64| t0 + Duration::seconds(secs);
        let (a, b, c_, d, channel) = store
            .write(move |c| {
                let channel =
                    channels::insert(c, &channels::NewChannel::sandbox(account, "Sandbox"), t0)?;
                let mut tickets = Vec::new();
                for phone in ["5511999990001", "5511999990002", "5511999990003", "5511999990004"] {
                    let contact = c.insert_returning_id(
                        "INSERT INTO contacts (account_id, family, external_id, created_at, updated_at)
                         VALUES ($1, 'whatsapp', $2, $3, $3) RETURNING id",
                        params![account, phone, t0],
                    )?;
                    tickets.push(bot_ticket(c, account, contact, channel)?.0);
                }
                Ok::<_, StoreError>((tickets[0], tickets[1], tickets[2], tickets[3], channel))
            })
            .await
            .unwrap();
        let queue = |ticket, body: &'static str, when| {
            let store = store.clone();
            async move {
                store
                    .write(move |c| {
                        let m = outbox::NewOutbound {
                            account_id: account,
                            ticket_id: ticket,
                            channel_id: channel,
                            body,
                            author: None,
                        };
                        outbox::enqueue_text(c, &m, when)
                    })
                    .await
                    .unwrap()
            }
        };
        let lease_some = |when, limit| {
            let store = store.clone();
            async move {
                store
                    .write(move |c| outbox::lease_due(c, when, when + Duration::seconds(60), limit))
                    .await
                    .unwrap()
            }
        };
        let lease = |when| {
            let store = store.clone();
            async move {
                store
                    .write(move |c| outbox::lease_due(c, when, when + Duration::seconds(60), 64))
                    .await
                    .unwrap()
            }
        };
        // The ticket's queued rows a lease walking the rows due by `when` would meet.
        let due_by = |ticket: saw_core::ids::TicketId, when| {
            let store = store.clone();
            async move {
                store
                    .read(move |c| {
                        c.scalar_i64(
                            "SELECT COUNT(*) FROM messages WHERE ticket_id = $1 AND direction = 'out'
                               AND status = 'queued' AND is_note = FALSE
                               AND COALESCE(next_attempt_at, created_at) < $2",
                            params![ticket, when],
                        )
                    })
                    .await
                    .unwrap()
            }
        };
        let bodies =
            |rows: &[outbox::Leased]| rows.iter().map(|r| r.body.clone()).collect::<Vec<_>>();
        let sent = |rows: Vec<outbox::Leased>, when| {
            let store = store.clone();
            async move {
                store
                    .write(move |c| {
                        for (n, row) in rows.iter().enumerate() {
                            outbox::mark_sent(
                                c,
                                row,
                                &format!("wamid.{}.{n}", row.id.get()),
                                when,
                            )?;
                        }
                        Ok::<_, StoreError>(())
                    })
                    .await
                    .unwrap();
            }
        };

        queue(a, "a1", at(0)).await;
        queue(a, "a2", at(0)).await;
        queue(b, "b1", at(0)).await;
        let first = lease(at(0)).await;
        assert_eq!(bodies(&first), ["a1", "b1"], "{name}: each ticket's oldest");
        let (a1, b1): (Vec<_>, Vec<_>) = first.into_iter().partition(|r| r.body == "a1");
        // a1 must wait 10 s (its customer's pace); b1 goes.
        let deferred = store
            .write(move |c| outbox::defer(c, &a1[0], at(10)))
            .await
            .unwrap();
        assert!(deferred, "{name}");
        sent(b1, at(1)).await;
        queue(a, "a3", at(2)).await;
        queue(b, "b2", at(3)).await;
        assert_eq!(due_by(a, at(10)).await, 0, "{name}: a's rows wait for a1");
        let meanwhile = lease(at(5)).await;
        assert_eq!(bodies(&meanwhile), ["b2"], "{name}: a's rows wait with a1");
        sent(meanwhile, at(5)).await;
        assert!(lease(at(9)).await.is_empty(), "{name}: nothing is due yet");
        let due = lease(at(10)).await;
        assert_eq!(
            bodies(&due),
            ["a1"],
            "{name}: a1 first, then the rows behind it"
        );
        sent(due, at(10)).await;
        let a2 = lease(at(10)).await;
        assert_eq!(bodies(&a2), ["a2"], "{name}");
        sent(a2, at(10)).await;
        let a3 = lease(at(10)).await;
        assert_eq!(bodies(&a3), ["a3"], "{name}");
        sent(a3, at(10)).await;

        // A retry holds the rows behind it back the same way; a row of another ticket that
        // fell due earlier leaves before one that fell due later.
        queue(b, "b3", at(20)).await;
        let b3 = lease(at(20)).await;
        assert_eq!(bodies(&b3), ["b3"], "{name}");
        queue(b, "b4", at(21)).await;
        let retried = store
            .write(move |c| outbox::schedule_retry(c, &b3[0], at(30), "HTTP 500", at(21)))
            .await
            .unwrap();
        assert!(retried, "{name}");
        queue(b, "b5", at(22)).await;
        assert_eq!(due_by(b, at(30)).await, 0, "{name}: b's rows wait for b3");
        assert!(
            lease(at(25)).await.is_empty(),
            "{name}: b's rows wait for b3's retry"
        );

        for body in ["b3", "b4", "b5"] {
            let rows = lease(at(31)).await;
            assert_eq!(bodies(&rows), [body], "{name}: b's rows in their order");
            sent(rows, at(31)).await;
        }

        // Due order, not id order: c1 (the older row) waits until 120, d1 is due from 100.
        queue(c_, "c1", at(100)).await;
        queue(d, "d1", at(100)).await;
        let c1 = lease_some(at(100), 1).await;
        assert_eq!(bodies(&c1), ["c1"], "{name}: equally due, the older first");
        store
            .write(move |c| outbox::defer(c, &c1[0], at(120)))
            .await
            .unwrap();
        assert_eq!(
            bodies(&lease_some(at(130), 1).await),
            ["d1"],
            "{name}: d1 fell due first"
        );

        if name == "sqlite" {
            let plan = plan_of(
                &store,
                "SELECT m.id FROM messages m INDEXED BY messages_outbox_due
                 WHERE m.direction = 'out' AND m.status = 'queued' AND m.is_note = FALSE
                   AND COALESCE(m.next_attempt_at, m.created_at) <= $2
                 ORDER BY COALESCE(m.next_attempt_at, m.created_at), m.id LIMIT $1",
            )
            .await;
            assert!(
                plan.iter()
                    .any(|step| step.starts_with("SEARCH m USING INDEX messages_outbox_due")),
                "the lease walks only the due rows: {plan:?}"
            );
            assert!(
                !plan.iter().any(|step| step.contains("TEMP B-TREE")),
                "the lease walks them in due order, unsorted: {plan:?}"
            );
        }
    }
}

/// The inbox's tabs, automatic distribution and the operators' counts find tickets through
/// an index on SQLite, not by reading every ticket (most are resolved), now that no index
/// holds the time of a ticket's last message (0020). The conditions are those of
/// `inbox::page` and `inbox::counts`, `distribution::queues_with_waiting` and `waiting`,
/// and `ops::figures`.
#[tokio::test]
async fn the_inbox_and_distribution_find_tickets_through_an_index() {
    let db = saw_testkit::sqlite();
    let store = open(&db).await;
    let lookups = [
        (
            "SELECT t.id FROM tickets t WHERE t.account_id = 1 AND t.status = 'pending'
             ORDER BY COALESCE(t.queued_at, t.created_at), t.id LIMIT $1",
            "INDEX tickets_inbox (account_id=? AND status=?)",
        ),
        (
            "SELECT t.id FROM tickets t WHERE t.account_id = 1 AND t.status = 'open' AND t.assignee_id = 2
             ORDER BY COALESCE(t.last_message_at, t.created_at) DESC, t.id DESC LIMIT $1",
            "INDEX tickets_assignee (assignee_id=? AND status=?)",
        ),
        (
            "SELECT t.id FROM tickets t WHERE t.account_id = 1 AND t.status = 'resolved'
             ORDER BY t.resolved_at DESC, t.id DESC LIMIT $1",
            "INDEX tickets_resolved (account_id=?)",
        ),
        (
            "SELECT t.id FROM tickets t WHERE t.account_id = 1 AND t.status IN ('bot', 'pending', 'open')
             ORDER BY COALESCE(t.last_message_at, t.created_at) DESC, t.id DESC LIMIT $1",
            "INDEX tickets_inbox (account_id=? AND status=?)",
        ),
        (
            "SELECT q.id FROM queues q WHERE q.distribution <> 'manual'
               AND EXISTS (SELECT 1 FROM tickets t WHERE t.queue_id = q.id AND t.status = 'pending')",
            "INDEX tickets_waiting (queue_id=?)",
        ),
        (
            "SELECT id FROM tickets WHERE queue_id = 1 AND status = 'pending'
             ORDER BY COALESCE(queued_at, created_at), id LIMIT $1",
            "INDEX tickets_waiting (queue_id=?)",
        ),
        (
            "SELECT COUNT(*) FROM accounts a CROSS JOIN tickets t
             WHERE t.account_id = a.id AND t.status = 'bot'",
            "INDEX tickets_inbox (account_id=? AND status=?)",
        ),
    ];
    searched_through(&store, &lookups).await;
    // The resolved tab, which grows without end, is read in its index's order: no sort.
    let plan = plan_of(&store, lookups[2].0).await;
    assert!(
        !plan.iter().any(|step| step.contains("TEMP B-TREE")),
        "{plan:?}"
    );
}

/// Each query's SQLite plan searches (not scans) through the index named with it.
async fn searched_through(store: &Store, lookups: &[(&'static str, &'static str)]) {
    for &(sql, index) in lookups {
        let plan = plan_of(store, sql).await;
        assert!(
            plan.iter()
                .any(|step| step.starts_with("SEARCH") && step.contains(index)),
            "{sql}: {plan:?}"
        );
    }
}

/// `sql`'s SQLite plan, step by step. A `$1` (a page's size) and a `$2` (a time) are bound,
/// as the code binds them: a literal would tell the planner what the code's statements never
/// tell it.
async fn plan_of(store: &Store, sql: &'static str) -> Vec<String> {
    let explained = format!("EXPLAIN QUERY PLAN {sql}");
    store
        .read(move |c| {
            let values = params![50, now()];
            let bound = if sql.contains("$2") {
                &values[..]
            } else if sql.contains("$1") {
                &values[..1]
            } else {
                &[]
            };
            c.query_all(&explained, bound, |r| r.text(3))
        })
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}
