//! A validator joining a running devnet, the way a new member's would join a production
//! network: its operator lays out its keys and starts its node; the members admit it by
//! governance; it votes from the epoch after its admission.
//!
//! On a devnet every member's key is on this machine, so one call plays every part: it
//! proposes the admission as the first founder and approves it as the others, in order,
//! until it is enacted. A production network runs the same transactions from each member's
//! own machine (`credence governance propose` and `approve`).

use crate::{
    layout::{self, LayoutError},
    processes::Validator,
};
use credence_client::{NodeClient, Session, SessionError};
use credence_crypto::KeyFile;
use credence_types::{ProposalId, epoch::EpochRecord, governance::GovernanceAction};
use std::{path::Path, time::Duration};

/// How long a proposal stays open.
const PROPOSAL_DAYS: u32 = 7;
/// How often the epoch records are read while waiting.
const POLL: Duration = Duration::from_secs(1);

/// Why a validator could not join.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    /// Its files could not be written, or its process started.
    #[error(transparent)]
    Layout(#[from] LayoutError),
    /// A key file could not be read.
    #[error(transparent)]
    Keys(#[from] credence_crypto::KeyFileError),
    /// The network refused or did not answer.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// Every member voted and the admission was still not enacted.
    #[error("proposal {0} was not enacted: too few members could approve it")]
    NotEnacted(ProposalId),
    /// No epoch seated the new validator in time.
    #[error("no epoch seated the new validator within {0:?}")]
    NotSeated(Duration),
}

/// A validator that joined.
#[derive(Debug)]
pub struct Joined {
    /// Its process.
    pub validator: Validator,
    /// The first epoch it votes in.
    pub epoch: EpochRecord,
    /// The block its admission was enacted in.
    pub enacted_at: u64,
}

/// The members of the network in `dir` that can vote, in order: the validators laid out so
/// far (`node-0` to `node-<count - 1>`), then the founding members that are not validators.
fn voters(dir: &Path, count: usize) -> Result<Vec<KeyFile>, JoinError> {
    let network = layout::network_file(dir)?;
    let validators = (0..count).map(layout::validator_name);
    let others = network
        .genesis
        .institutions
        .iter()
        .filter(|i| i.consensus.is_none())
        .map(|i| i.name.as_str().to_string());
    validators
        .chain(others)
        .map(|name| {
            Ok(KeyFile::read(
                &dir.join("keys").join(format!("{name}.json")),
            )?)
        })
        .collect()
}

/// Lays out the next validator of the devnet in `dir` (validator 0's API at `base_port`),
/// starts its node with `binary`, has the members admit it, and waits (at most `timeout`)
/// until an epoch seats it. `progress` hears of each step.
pub async fn add_validator(
    binary: &Path,
    dir: &Path,
    base_port: u16,
    timeout: Duration,
    progress: impl Fn(&str),
) -> Result<Joined, JoinError> {
    let joiner = layout::add_validator(dir, base_port)?;
    let name = joiner.institution.name.to_string();
    let seat = joiner
        .institution
        .consensus
        .ok_or_else(|| LayoutError::Invalid("a validator without a seat".to_string()))?;
    let validator = Validator::start(binary, dir, joiner.index, "node.log")?;
    progress(&format!(
        "started {name} (node {}), consensus key {}, peers at {}; log in {}",
        joiner.index,
        seat.key,
        seat.address,
        validator.log().display()
    ));

    let api = layout::api_address(base_port, 0)?;
    let mut voters = voters(dir, joiner.index)?.into_iter();
    let proposer = voters
        .next()
        .ok_or_else(|| LayoutError::Invalid("the network has no member".to_string()))?;
    // It reads as the proposer, a validator, which reads the chain's epoch records.
    let session = Session::open(
        NodeClient::new(&format!("http://{api}")),
        &dir.join("network.json"),
    )?
    .reading_as(&proposer);
    let action = GovernanceAction::AddInstitution(joiner.institution.clone());
    let mut vote = session.propose(&proposer, action, PROPOSAL_DAYS).await?;
    progress(&format!(
        "proposed its admission as proposal {} (height {})",
        vote.proposal.0, vote.finalised.height
    ));
    for voter in voters {
        if vote.enacted {
            break;
        }
        match session.approve(&voter, vote.proposal).await {
            Ok(approved) => {
                progress(&format!("approved (height {})", approved.finalised.height));
                vote = approved;
            }
            // A suspended member cannot vote; the others still can.
            Err(SessionError::Rejected { code, .. }) => {
                progress(&format!("a member's approval was refused: {code}"));
            }
            Err(other) => return Err(other.into()),
        }
    }
    if !vote.enacted {
        return Err(JoinError::NotEnacted(vote.proposal));
    }
    let enacted_at = vote.finalised.height;
    progress(&format!(
        "enacted at height {enacted_at}; {name} votes from the next epoch"
    ));

    let started = std::time::Instant::now();
    loop {
        if let Some(epoch) = session.newest_epoch_where(&seat.key, true).await? {
            progress(&format!(
                "epoch {} (from height {}) seats {name}: {} validators",
                epoch.epoch,
                epoch.first_height.0,
                epoch.validators.len()
            ));
            return Ok(Joined {
                validator,
                epoch,
                enacted_at,
            });
        }
        if started.elapsed() > timeout {
            return Err(JoinError::NotSeated(timeout));
        }
        tokio::time::sleep(POLL).await;
    }
}
