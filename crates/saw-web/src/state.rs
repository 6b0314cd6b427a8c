use std::sync::Arc;

use saw_app::App;

use crate::config::WebConfig;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub web: Arc<WebConfig>,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The live stream's events, read and serialised once for every reader.
    pub rendered: Arc<crate::live::RenderedEvents>,
    /// When the live streams read their user again.
    pub recheck: Arc<crate::live::RecheckPeriods>,
}

impl AppState {
    pub fn new(app: App, web: WebConfig) -> Self {
        Self {
            app,
            web: Arc::new(web),
            metrics: Default::default(),
            rendered: Default::default(),
            recheck: Default::default(),
        }
    }
}
