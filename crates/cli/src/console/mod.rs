//! The web console each node serves beside its API: the explorer at `/`, the lender console
//! at `/lender`, the borrower portal at `/borrower` and the regulator view at `/regulator`.
//!
//! The pages are static HTML and small script modules compiled into the binary; they read
//! the ledger through the node's public API, as any client would. Only the lender console
//! needs more: its [`operator`] endpoints, unlocked by the operator token from the node's
//! configuration, act with the institution's key, which stays in this process. The borrower
//! portal signs in the browser and sends the node only signed transactions.

mod assets;
mod operator;

use crate::member::Target;
use axum::Router;
use credence_crypto::KeyFile;
use credence_node::config::NodeConfig;

pub use operator::OperatorToken;

/// What the console needs from the node it runs in.
pub struct Console {
    /// The node's own API, through which the operator endpoints act.
    pub target: Target,
    /// The institution's keys.
    pub keys: KeyFile,
    /// The operator token; without one the lender console refuses every sign-in.
    pub token: Option<OperatorToken>,
}

impl Console {
    /// The console of the node configured by `config`.
    pub fn for_node(config: &NodeConfig) -> anyhow::Result<Self> {
        let mut api = config.node.api_listen;
        if api.ip().is_unspecified() {
            api.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        let mut target = Target::new(&format!("http://{api}"), &config.node.network_file)?;
        target.verbose = false;
        let token = config
            .node
            .console
            .operator_token_file
            .as_deref()
            .map(OperatorToken::read)
            .transpose()?;
        Ok(Self {
            target,
            keys: crate::member::key(&config.node.key_file)?,
            token,
        })
    }

    /// The console's routes: its pages and assets, and the operator endpoints.
    pub fn router(self) -> Router {
        assets::router().merge(operator::router(self))
    }
}
