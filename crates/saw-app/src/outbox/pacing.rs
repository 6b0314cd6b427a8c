//! Send rates: each channel has a rate per second (WhatsApp 80 per number, Telegram 30 per
//! bot, or the channel's setting), and each customer has their own pace that lets a short
//! burst through — a greeting and a menu leave together — then slows to what the provider
//! tolerates for one person (WhatsApp's pair limit: about one message every 6 s; Telegram:
//! one per second per chat). A row held by its customer's pace is put back with its time,
//! not slept on, so other conversations keep flowing; the dispatcher waits out a channel's
//! next slot, milliseconds away, inside its round.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use saw_core::conversation::ChannelKind;
use saw_core::ids::ChannelId;

/// Messages one customer may receive at once before pacing starts.
const CUSTOMER_BURST: u32 = 6;

/// The pace of one customer on a channel kind: a burst, then one message per period.
fn customer_quota(kind: ChannelKind) -> Option<Quota> {
    let period = match kind {
        ChannelKind::WhatsApp => Duration::from_secs(6),
        ChannelKind::Telegram => Duration::from_secs(1),
        ChannelKind::Sandbox => return None,
    };
    Quota::with_period(period).map(|q| q.allow_burst(nonzero(CUSTOMER_BURST)))
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

/// Why a send must wait, and how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// The channel's rate: the channel's next slot, milliseconds away at WhatsApp's rates.
    Channel(Duration),
    /// The customer's pace: this customer's next send, seconds away on WhatsApp.
    Customer(Duration),
}

impl Held {
    pub fn wait(self) -> Duration {
        match self {
            Held::Channel(wait) | Held::Customer(wait) => wait,
        }
    }
}

struct ChannelPace {
    per_second: u32,
    limiter: DefaultDirectRateLimiter,
}

impl ChannelPace {
    fn new(per_second: u32) -> Self {
        ChannelPace {
            per_second,
            limiter: RateLimiter::direct(Quota::per_second(nonzero(per_second))),
        }
    }
}

/// The dispatcher's rate limits, in memory (one process sends; a restart starts afresh,
/// which only lets one burst through).
#[derive(Default)]
pub struct Pacing {
    channels: Mutex<HashMap<ChannelId, ChannelPace>>,
    customers: Mutex<HashMap<ChannelKind, DefaultKeyedRateLimiter<(ChannelId, String)>>>,
    /// Made once: making a clock calibrates it, which showed in the profile when done per
    /// send.
    clock: DefaultClock,
}

impl Pacing {
    /// `Ok` when a message to `customer` on `channel` may go now, else what holds it and
    /// for how long. `per_second` `None` means the channel is not limited (the sandbox).
    pub fn admit(
        &self,
        channel: ChannelId,
        kind: ChannelKind,
        per_second: Option<u32>,
        customer: &str,
    ) -> Result<(), Held> {
        let Some(per_second) = per_second else {
            return Ok(());
        };
        let clock = &self.clock;
        // The channel first: a send it holds back must not spend one of the customer's burst
        // (which would hold their next replies back by WhatsApp's 6 s). The other way round,
        // a send the customer's pace holds back spends one of the channel's slots, which
        // errs on the side of sending less.
        {
            let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
            let pace = channels
                .entry(channel)
                .or_insert_with(|| ChannelPace::new(per_second));
            if pace.per_second != per_second {
                *pace = ChannelPace::new(per_second);
            }
            pace.limiter
                .check()
                .map_err(|not_until| Held::Channel(not_until.wait_time_from(clock.now())))?;
        }
        let Some(quota) = customer_quota(kind) else {
            return Ok(());
        };
        let mut customers = self.customers.lock().unwrap_or_else(|e| e.into_inner());
        let limiter = customers
            .entry(kind)
            .or_insert_with(|| RateLimiter::keyed(quota));
        limiter
            .check_key(&(channel, customer.to_owned()))
            .map_err(|not_until| Held::Customer(not_until.wait_time_from(clock.now())))
    }

    /// Forgets customers whose pace is back to a full burst (memory stays bounded).
    pub fn forget_idle(&self) {
        let customers = self.customers.lock().unwrap_or_else(|e| e.into_inner());
        for limiter in customers.values() {
            limiter.retain_recent();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_burst_to_one_customer_passes_then_waits() {
        let pacing = Pacing::default();
        let channel = ChannelId::new(1);
        for _ in 0..CUSTOMER_BURST {
            assert_eq!(
                pacing.admit(channel, ChannelKind::WhatsApp, Some(80), "5511987654321"),
                Ok(())
            );
        }
        let held = pacing
            .admit(channel, ChannelKind::WhatsApp, Some(80), "5511987654321")
            .unwrap_err();
        assert!(
            matches!(held, Held::Customer(wait) if wait > Duration::from_secs(4) && wait <= Duration::from_secs(6)),
            "{held:?}"
        );
        // Another customer is not held back by the first one's pace.
        assert_eq!(
            pacing.admit(channel, ChannelKind::WhatsApp, Some(80), "5521999990000"),
            Ok(())
        );
    }

    #[test]
    fn a_send_the_channel_holds_back_leaves_the_customers_burst_whole() {
        let pacing = Pacing::default();
        let channel = ChannelId::new(4);
        let customer = "5511987654321";
        // A channel of one send per second, spent by another customer.
        assert_eq!(
            pacing.admit(channel, ChannelKind::WhatsApp, Some(1), "5521999990000"),
            Ok(())
        );
        for _ in 0..CUSTOMER_BURST * 2 {
            let held = pacing
                .admit(channel, ChannelKind::WhatsApp, Some(1), customer)
                .unwrap_err();
            assert!(
                matches!(held, Held::Channel(wait) if wait <= Duration::from_secs(1)),
                "{held:?}"
            );
        }
        // The customer's whole burst is still there once the channel lets sends through.
        let keyed = pacing.customers.lock().unwrap();
        let limiter = &keyed[&ChannelKind::WhatsApp];
        for _ in 0..CUSTOMER_BURST {
            assert!(limiter.check_key(&(channel, customer.to_owned())).is_ok());
        }
        assert!(limiter.check_key(&(channel, customer.to_owned())).is_err());
    }

    #[test]
    fn the_channel_rate_caps_all_customers_together() {
        let pacing = Pacing::default();
        let channel = ChannelId::new(2);
        let admitted = (0..20)
            .filter(|i| {
                pacing
                    .admit(channel, ChannelKind::Telegram, Some(5), &i.to_string())
                    .is_ok()
            })
            .count();
        assert_eq!(admitted, 5);
        assert_eq!(
            pacing.admit(ChannelId::new(3), ChannelKind::Sandbox, None, "x"),
            Ok(())
        );
    }
}
