//! The vocabulary of conversations: channel kinds, ticket states and history events,
//! message directions, kinds and delivery states. Each is stored as its `as_str` text.

text_enum!(
    /// Where customers write from.
    ChannelKind { WhatsApp => "whatsapp", Telegram => "telegram", Sandbox => "sandbox" }
);

text_enum!(
    /// `bot` (the flow is talking) → `pending` (waiting in a queue) → `open` (an agent has
    /// it) → `resolved`.
    TicketStatus { Bot => "bot", Pending => "pending", Open => "open", Resolved => "resolved" }
);

text_enum!(
    /// One row of a ticket's history; every metric is derived from these.
    TicketEventKind {
        Created => "created",
        Queued => "queued",
        Accepted => "accepted",
        Transferred => "transferred",
        ReturnedToBot => "returned_to_bot",
        Reopened => "reopened",
        Resolved => "resolved",
    }
);

text_enum!(
    MessageDirection { Inbound => "in", Outbound => "out" }
);

text_enum!(
    /// What a message carries. `Unsupported` keeps a provider's unknown type with its raw JSON.
    MessageKind {
        Text => "text",
        Image => "image",
        Audio => "audio",
        Video => "video",
        Document => "document",
        Sticker => "sticker",
        Location => "location",
        Contacts => "contacts",
        Interactive => "interactive",
        Template => "template",
        Unsupported => "unsupported",
    }
);

text_enum!(
    /// Delivery of an outbound message; only ever moves forward (see [`DeliveryStatus::rank`]).
    DeliveryStatus {
        Queued => "queued",
        Sent => "sent",
        Delivered => "delivered",
        Read => "read",
        Failed => "failed",
    }
);

impl DeliveryStatus {
    /// Order used to refuse moving a status backwards (a late `sent` after `read`).
    pub fn rank(self) -> u8 {
        match self {
            DeliveryStatus::Queued => 0,
            DeliveryStatus::Sent => 1,
            DeliveryStatus::Delivered => 2,
            DeliveryStatus::Read => 3,
            DeliveryStatus::Failed => 4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_round_trips() {
        for s in TicketStatus::ALL {
            assert_eq!(TicketStatus::parse(s.as_str()), Some(*s));
        }
        for k in TicketEventKind::ALL {
            assert_eq!(TicketEventKind::parse(k.as_str()), Some(*k));
        }
        for k in MessageKind::ALL {
            assert_eq!(MessageKind::parse(k.as_str()), Some(*k));
        }
        assert_eq!(ChannelKind::parse("fax"), None);
        assert!(DeliveryStatus::Read.rank() > DeliveryStatus::Sent.rank());
    }
}
