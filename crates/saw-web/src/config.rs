//! The web layer's part of the configuration.

use ipnet::IpNet;

/// Webhook bodies larger than this are refused (413) unless `SAW_MAX_BODY` says otherwise.
pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;

#[derive(Debug, Clone)]
pub struct WebConfig {
    /// The address people use to reach SAW (`SAW_PUBLIC_URL`), without a trailing slash.
    /// When set, it is the only accepted `Origin` and decides whether cookies are `Secure`.
    pub public_url: Option<String>,
    /// Proxies whose `X-Forwarded-For` is believed (`SAW_TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<IpNet>,
    /// The largest webhook body accepted, in bytes (`SAW_MAX_BODY`).
    pub max_body: usize,
    /// The bearer token `/metrics` asks for (`SAW_METRICS_TOKEN`); without it `/metrics` is
    /// off.
    pub metrics_token: Option<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            public_url: None,
            trusted_proxies: Vec::new(),
            max_body: DEFAULT_MAX_BODY,
            metrics_token: None,
        }
    }
}

impl WebConfig {
    /// Cookies are marked `Secure` when SAW is reached over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

/// Parses `SAW_TRUSTED_PROXIES`: addresses or CIDR ranges separated by commas or spaces.
pub fn parse_trusted_proxies(raw: &str) -> Result<Vec<IpNet>, String> {
    raw.split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            item.parse::<IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    format!(
                        "'{item}' is not an IP address or CIDR range (e.g. 10.0.0.1 or 10.0.0.0/8)"
                    )
                })
        })
        .collect()
}

/// Checks `SAW_PUBLIC_URL` and drops a trailing slash.
pub fn parse_public_url(raw: &str) -> Result<String, String> {
    let url = raw.trim().trim_end_matches('/');
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(format!(
            "'{raw}' is not a URL: write it as https://saw.example.com"
        ));
    };
    if !matches!(scheme, "http" | "https") || rest.is_empty() {
        return Err(format!(
            "'{raw}' must start with http:// or https:// and name a host"
        ));
    }
    Ok(url.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxies_and_urls() {
        assert_eq!(
            parse_trusted_proxies("10.0.0.1, 192.168.0.0/16")
                .unwrap()
                .len(),
            2
        );
        assert!(parse_trusted_proxies("proxy.local").is_err());
        let web = WebConfig {
            public_url: Some(parse_public_url("https://SAW.example.com/").unwrap()),
            ..Default::default()
        };
        assert!(web.secure_cookies());
        assert!(parse_public_url("saw.example.com").is_err());
    }
}
