//! The bot's configuration kept in memory: read again exactly when something it holds
//! changed — through this process or any other on the same database — and never kept from a
//! transaction that rolled back. On every backend.

use std::sync::Arc;

use chrono::Utc;
use saw_app::bot_config::{BotConfig, BotConfigs};
use saw_core::account::ConversationSettings;
use saw_core::ids::{AccountId, ChannelId, QueueId};
use saw_core::queue::Distribution;
use saw_store::repo::hours::ExceptionRow;
use saw_store::repo::{accounts, bot, channels, hours, queues};
use saw_store::{Conn, Store, StoreError, params};

struct Setup {
    store: Store,
    account: AccountId,
    channel: ChannelId,
    suporte: QueueId,
    vendas: QueueId,
}

async fn setup(db: &saw_testkit::TestDb) -> Setup {
    let store = Store::open(&db.url).await.unwrap();
    let (account, channel, suporte, vendas) = store
        .write(|c| {
            let account = accounts::create(c, "Loja", Utc::now())?;
            let channel = channels::insert(
                c,
                &channels::NewChannel::sandbox(account, "Sandbox"),
                Utc::now(),
            )?;
            let suporte = queues::insert(c, account, "Suporte", "#b45309", Utc::now())?;
            let vendas = queues::insert(c, account, "Vendas", "#0f766e", Utc::now())?;
            queues::set_default(c, account, suporte)?;
            Ok::<_, StoreError>((account, channel, suporte, vendas))
        })
        .await
        .unwrap();
    Setup {
        store,
        account,
        channel,
        suporte,
        vendas,
    }
}

/// The configuration `configs` answers in a transaction of its own.
async fn current(store: &Store, configs: &BotConfigs, account: AccountId) -> Arc<BotConfig> {
    let configs = configs.clone();
    store
        .write(move |c| configs.current(c, account))
        .await
        .unwrap()
}

async fn change(
    store: &Store,
    f: impl FnOnce(&mut dyn Conn) -> Result<(), StoreError> + Send + 'static,
) {
    store.write(f).await.unwrap();
}

const FLOW: &str = r#"
name: Loja
greeting: "Bem-vindo à loja!"
menu: inicio
menus:
  - id: inicio
    text: "Como podemos ajudar?"
    options:
      - id: comercial
        title: Comercial
        action: { queue: Comercial }
"#;

#[tokio::test]
async fn the_copy_is_read_again_exactly_when_what_it_holds_changed() {
    for db in saw_testkit::backends() {
        let name = db.name;
        let s = setup(&db).await;
        let (account, channel, vendas) = (s.account, s.channel, s.vendas);
        let configs = BotConfigs::default();

        let first = current(&s.store, &configs, account).await;
        assert_eq!(
            first.default_queue(),
            Some((s.suporte, "Suporte")),
            "{name}"
        );
        assert_eq!(first.queue_named("  vendas "), Some(vendas), "{name}");
        let again = current(&s.store, &configs, account).await;
        assert!(Arc::ptr_eq(&first, &again), "{name}: nothing changed");

        // What the bot does not hold moves often and must not throw the copy away.
        change(&s.store, move |c| {
            queues::set_distribution(c, account, vendas, Distribution::RoundRobin, 10)?;
            c.execute(
                "UPDATE queues SET last_assigned_user_id = NULL WHERE id = $1",
                params![vendas],
            )
            .map(drop)
        })
        .await;
        let kept = current(&s.store, &configs, account).await;
        assert!(
            Arc::ptr_eq(&first, &kept),
            "{name}: distribution is not the bot's"
        );

        change(&s.store, move |c| {
            queues::update(c, account, vendas, "Comercial", "#0f766e")
        })
        .await;
        let renamed = current(&s.store, &configs, account).await;
        assert_eq!(renamed.queue_named("comercial"), Some(vendas), "{name}");
        assert_eq!(renamed.queue_named("Vendas"), None, "{name}");

        change(&s.store, move |c| queues::set_default(c, account, vendas)).await;
        let moved = current(&s.store, &configs, account).await;
        assert_eq!(moved.default_queue(), Some((vendas, "Comercial")), "{name}");

        change(&s.store, move |c| {
            let weekdays: Vec<(i64, i64, i64)> = (0..5).map(|d| (d, 8 * 60, 18 * 60)).collect();
            hours::replace(c, account, Some(vendas), &weekdays, &[])
        })
        .await;
        let with_hours = current(&s.store, &configs, account).await;
        assert!(with_hours.queue_hours.contains_key("Comercial"), "{name}");
        assert!(with_hours.schedules.queues.contains_key(&vendas), "{name}");

        change(&s.store, move |c| {
            let holiday = ExceptionRow {
                queue: None,
                day: "2026-12-25".into(),
                hours: None,
                description: "Natal".into(),
            };
            hours::replace(c, account, None, &[], &[holiday])
        })
        .await;
        let with_holiday = current(&s.store, &configs, account).await;
        assert_eq!(
            with_holiday.schedules.account.special_days.len(),
            1,
            "{name}"
        );

        assert_ne!(with_holiday.flow(channel).greeting, "Bem-vindo à loja!");
        change(&s.store, move |c| {
            bot::put_flow(c, account, None, "Loja", FLOW, Utc::now())
        })
        .await;
        let with_flow = current(&s.store, &configs, account).await;
        assert_eq!(
            with_flow.flow(channel).greeting,
            "Bem-vindo à loja!",
            "{name}"
        );

        change(&s.store, move |c| {
            let settings = ConversationSettings {
                greeting: Some("Olá! Aqui é a Loja.".into()),
                ..accounts::by_id(c, account)?.conversations
            };
            accounts::update_conversations(c, account, &settings)
        })
        .await;
        let greeted = current(&s.store, &configs, account).await;
        assert_eq!(
            greeted.flow(channel).greeting,
            "Olá! Aqui é a Loja.",
            "{name}"
        );
        let still = current(&s.store, &configs, account).await;
        assert!(Arc::ptr_eq(&greeted, &still), "{name}");
    }
}

#[tokio::test]
async fn a_change_made_by_another_process_is_seen_at_the_next_turn() {
    for db in saw_testkit::backends() {
        let name = db.name;
        let s = setup(&db).await;
        let account = s.account;
        let configs = BotConfigs::default();
        let before = current(&s.store, &configs, account).await;
        assert_eq!(before.queue_named("Vendas"), Some(s.vendas), "{name}");

        // Another process (the CLI, a second instance) with its own connections.
        let other = Store::open(&db.url).await.unwrap();
        let vendas = s.vendas;
        change(&other, move |c| {
            queues::update(c, account, vendas, "Comercial", "#0f766e")
        })
        .await;
        other.flush().await.unwrap();

        let after = current(&s.store, &configs, account).await;
        assert_eq!(after.queue_named("Comercial"), Some(s.vendas), "{name}");
    }
}

#[tokio::test]
async fn a_copy_read_inside_a_transaction_that_rolled_back_is_not_kept() {
    for db in saw_testkit::backends() {
        let name = db.name;
        let s = setup(&db).await;
        let (account, vendas) = (s.account, s.vendas);
        let configs = BotConfigs::default();
        current(&s.store, &configs, account).await;

        let inside = configs.clone();
        let failed = s
            .store
            .write(move |c| {
                queues::update(c, account, vendas, "Comercial", "#0f766e")?;
                let seen = inside.current(c, account)?;
                let seen = seen.queue_named("Comercial").map(|q| q.to_string());
                Err::<(), _>(StoreError::Database(format!("rolled back; saw {seen:?}")))
            })
            .await;
        let expected = format!("rolled back; saw {:?}", Some(vendas.to_string()));
        assert_eq!(
            failed.unwrap_err().to_string(),
            format!("database error: {expected}")
        );

        // A later change, keeping the queue's name, must not take the rolled-back copy's
        // place: stamps never come back.
        change(&s.store, move |c| {
            queues::update(c, account, vendas, "Vendas", "#1d4ed8")
        })
        .await;
        let after = current(&s.store, &configs, account).await;
        assert_eq!(after.queue_named("Vendas"), Some(vendas), "{name}");
        assert_eq!(after.queue_named("Comercial"), None, "{name}");
    }
}
