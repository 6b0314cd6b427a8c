//! One story of the store, told on every backend: the same calls must give the same answers
//! on SQLite and PostgreSQL.

use chrono::Duration;
use saw_core::ids::{AccountId, QueueId, UserId};
use saw_core::user::{Email, Role};
use saw_store::repo::{accounts, audit, queues, sessions, settings, tokens, users};
use saw_store::{Store, StoreError, now};

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
