//! Running a node in production: the tokio runtime, the validators' network, consensus, the
//! API, and a clean stop on SIGTERM or Ctrl-C.

use crate::{
    api,
    config::NodeConfig,
    consensus::{self, EngineConfig, network},
    service::{Settings, Verifier},
    validator::{self, Parts, Validator},
};
use commonware_runtime::{Runner as _, Supervisor as _, tokio as runtime};
use credence_crypto::{ConsensusKeyFile, KeyFile};
use credence_store::StoreConfig;
use std::{num::NonZeroUsize, sync::Arc};

/// The node could not start, or stopped on a failure.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The key file.
    #[error(transparent)]
    Keys(#[from] credence_crypto::KeyFileError),
    /// The data directory.
    #[error("data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The consensus key file holds the institution's own signing key.
    #[error(
        "the consensus key must be a key of its own, not the institution's signing key; \
         generate one with `credence keys consensus`"
    )]
    SharedKey,
    /// The chain could not open.
    #[error(transparent)]
    Chain(#[from] crate::chain::ChainError),
    /// Consensus could not start.
    #[error(transparent)]
    Engine(#[from] consensus::EngineError),
    /// The API could not listen.
    #[error("API listener on {address}: {source}")]
    Api {
        /// The address.
        address: std::net::SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The API's certificate or key could not be used.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    /// The node halted.
    #[error("the node halted: {0}")]
    Halted(String),
}

/// Runs the node until SIGTERM, Ctrl-C, or a failure it cannot recover from. `extra` is
/// served beside the API on the same listener (the binary adds its web console there; the
/// node knows nothing of it).
pub fn run(config: NodeConfig, extra: axum::Router) -> Result<(), RunError> {
    let data_dir = config.node.data_dir.clone();
    std::fs::create_dir_all(&data_dir).map_err(|source| RunError::DataDir {
        path: data_dir.clone(),
        source,
    })?;
    let keys = KeyFile::read(&config.node.key_file)?;
    // Before anything starts: a bad certificate fails start-up, never the first connection.
    let tls = config
        .node
        .tls
        .as_ref()
        .map(|tls| crate::tls::server_config(&tls.certificate_file, &tls.key_file))
        .transpose()?;
    let consensus_key = ConsensusKeyFile::read(&config.node.consensus_key_file)?.key;
    if consensus_key.public_key() == keys.signing.public_key() {
        return Err(RunError::SharedKey);
    }
    // The node's identity on the chain: its consensus key (blocks it proposes name it).
    let me = consensus_key.public_key();
    let threads = config.node.worker_threads;
    let runtime_config = runtime::Config::new()
        .with_worker_threads(threads)
        .with_storage_directory(data_dir.join("storage"))
        .with_catch_panics(false);
    runtime::Runner::new(runtime_config).start(|context| async move {
        let store_config = StoreConfig {
            cache_pages: NonZeroUsize::new(config.node.store.cache_mib.saturating_mul(256))
                .unwrap_or(NonZeroUsize::MIN),
            ..StoreConfig::node("state")
        };
        let verifier = commonware_parallel::Rayon::new(
            NonZeroUsize::new(threads).unwrap_or(NonZeroUsize::MIN),
        )
        .map(Verifier::parallel)
        .unwrap_or_else(|_| Verifier::sequential());
        let settings = Settings {
            chain_id: config.network.genesis.chain_id.clone(),
            me,
            block_limits: config.block_limits(),
            propose_transactions_max: config.node.blocks.transactions_max,
            block_interval: config.block_interval(),
            empty_block_interval: config.empty_block_interval(),
            nonce_window: config.node.mempool.nonce_window,
        };
        let opened = validator::open(
            &context,
            Parts {
                genesis: config.network.genesis.clone(),
                store: store_config,
                mempool: config.mempool_limits(),
                settings,
                verifier,
            },
        )
        .await?;
        let tip = opened.node.chain.lock().await.tip();
        tracing::info!(height = tip.header.height.0, block = %tip.digest, "chain opened");

        // The validators' network, on the consensus key.
        let limits = config.block_limits();
        let signer = consensus_key.engine_key();
        let max_message = consensus::max_message_size(&limits);
        tracing::debug!(max_message, "starting the network");
        let (channels, oracle, _network) = network::start(
            context.child("p2p"),
            &signer,
            config.node.p2p_listen,
            max_message,
        );
        let engine = EngineConfig::new(signer, "consensus".to_string(), limits);
        let Validator {
            node,
            finality,
            mut running,
        } = opened
            .start(
                &context,
                engine,
                channels,
                oracle.clone(),
                oracle.clone(),
                oracle,
            )
            .await?;

        // The API, over TLS when configured (the configuration refuses plain HTTP off
        // loopback unless told otherwise).
        let bind = |address| async move {
            tokio::net::TcpListener::bind(address)
                .await
                .map_err(|source| RunError::Api { address, source })
        };
        let listener = bind(config.node.api_listen).await?;
        let router = api::router(api::ApiState {
            node: Arc::clone(&node),
            finality,
            recent: api::recent::RecentBlocks::default(),
        })
        .merge(extra);
        let scheme = if tls.is_some() { "https" } else { "http" };
        tracing::info!(api = %config.node.api_listen, scheme, p2p = %config.node.p2p_listen, "node running");
        let server = match tls {
            Some(tls) => tokio::spawn(crate::tls::serve(listener, tls, router)),
            None => tokio::spawn(async move {
                if let Err(error) = axum::serve(listener, router).await {
                    tracing::error!(%error, "the API listener failed");
                }
            }),
        };
        let metrics = match config.node.metrics_listen {
            Some(address) => {
                let listener = bind(address).await?;
                let router = api::metrics_router(context.child("api"));
                tracing::info!(metrics = %address, "serving metrics");
                Some(tokio::spawn(async move {
                    if let Err(error) = axum::serve(listener, router).await {
                        tracing::error!(%error, "the metrics listener failed");
                    }
                }))
            }
            None => None,
        };

        // Until told to stop, or halted.
        let outcome = tokio::select! {
            () = shutdown_signal() => Ok(()),
            reason = running.halted() => Err(RunError::Halted(reason)),
        };
        server.abort();
        if let Some(metrics) = metrics {
            metrics.abort();
        }
        tracing::info!("stopping");
        outcome
    })
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => futures::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        () = terminate => {},
    }
}

/// What a node logs unless `RUST_LOG` says otherwise: Credence's own lines at `info`, the
/// engine's crates (chatty at `info`) at `warn`.
pub const LOG_FILTER: &str = "info,commonware_consensus=warn,commonware_p2p=warn,\
    commonware_storage=warn,commonware_broadcast=warn,commonware_resolver=warn,\
    commonware_runtime=warn,commonware_stream=warn";

/// Sends log lines to standard error, compact, coloured on a terminal, filtered by
/// `RUST_LOG` or else [`LOG_FILTER`]. For the binaries that run a node.
pub fn init_logging() {
    use std::io::IsTerminal as _;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(LOG_FILTER)),
        )
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .with_target(false)
        .compact()
        .init();
}
