//! The web console each node serves beside its API: the explorer at `/`, the lender console
//! at `/lender`, the borrower portal at `/borrower` and the regulator view at `/regulator`.
//!
//! The pages are static HTML and small script modules compiled into the binary; they read
//! the ledger through the node's API, as any client would, as whoever signed in. The
//! [`operator`] endpoints, unlocked by the operator token from the node's configuration, act
//! and read with the institution's key, which stays in this process (staff read through
//! `/console/api/v1/…`). The borrower portal and the regulator view sign their reads in the
//! browser; the portal sends the node only signed transactions.

mod assets;
pub mod constants;
mod imports;
mod operator;

use axum::Router;
use credence_client::{Session, SessionError};
use credence_crypto::{KeyFile, KeyFileError};
use credence_node::config::NodeConfig;

pub use imports::UPLOAD_BYTES_MAX;
pub use operator::{OperatorToken, TokenError};

/// Why the console could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// The node's network file.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The institution's key file.
    #[error("the institution's key file: {0}")]
    Keys(#[from] KeyFileError),
    /// The operator token.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The node's TLS certificate could not be trusted by its own console.
    #[error("{path}: {message}")]
    Certificate {
        /// The certificate file.
        path: std::path::PathBuf,
        /// Why.
        message: String,
    },
}

/// What the console needs from the node it runs in.
pub struct Console {
    /// The node's own API, through which the operator endpoints act.
    pub session: Session,
    /// The institution's keys.
    pub keys: KeyFile,
    /// The operator token; without one the lender console refuses every sign-in.
    pub token: Option<OperatorToken>,
    /// The institution's furnisher book (`book/` in the node's data directory): the
    /// customer map and the journals of the Metro 2 files uploaded here.
    pub book: std::path::PathBuf,
    /// The Metro 2 imports started since the node started.
    pub imports: imports::Imports,
}

impl Console {
    /// The console of the node configured by `config`.
    pub fn for_node(config: &NodeConfig) -> Result<Self, ConsoleError> {
        let mut api = config.node.api_listen;
        if api.ip().is_unspecified() {
            api.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        let keys = KeyFile::read(&config.node.key_file)?;
        // The console calls its own node's API, as its institution. Over TLS it trusts the
        // node's own certificate file, which must then name `localhost`.
        let node = match &config.node.tls {
            Some(tls) => {
                let pem = std::fs::read(&tls.certificate_file).map_err(|source| {
                    ConsoleError::Certificate {
                        path: tls.certificate_file.clone(),
                        message: source.to_string(),
                    }
                })?;
                credence_client::NodeClient::with_tls_roots(
                    &format!("https://localhost:{}", api.port()),
                    &pem,
                )
                .map_err(|error| ConsoleError::Certificate {
                    path: tls.certificate_file.clone(),
                    message: error.to_string(),
                })?
            }
            None => credence_client::NodeClient::new(&format!("http://{api}")),
        };
        let session = Session::new(node, config.network.clone()).reading_as(&keys);
        let token = config
            .node
            .console
            .operator_token_file
            .as_deref()
            .map(OperatorToken::read)
            .transpose()?;
        Ok(Self {
            session,
            keys,
            token,
            book: config.node.data_dir.join("book"),
            imports: imports::Imports::default(),
        })
    }

    /// The console's routes: its pages and assets, and the operator endpoints.
    pub fn router(self) -> Router {
        assets::router().merge(operator::router(self))
    }
}
