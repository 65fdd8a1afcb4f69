//! The `furnish` workload: the bureau's batch-furnishing load. Monthly tradeline updates from
//! the validator banks (each pass over the population is the next bank's, so every bank
//! reports an account of every subject), with a consent to a bank for every twentieth
//! transaction, granted by the subjects in turn.

use super::world::{self, Target, World, accounts, now_ms, register, tradeline};
use credence_types::{
    SignedTransaction,
    transaction::{InquiryKind, Purpose},
};

/// Registers a population on `target` (untimed), then signs `count` transactions of the
/// workload for it.
pub fn prepare(
    target: &mut dyn Target,
    devnet: &World,
    count: usize,
) -> anyhow::Result<Vec<SignedTransaction>> {
    eprintln!("  registering {} subjects…", devnet.options.subjects);
    let mut subjects = register(target, devnet, devnet.options.subjects)?;
    let mut banks = accounts(target, &devnet.banks, devnet.chain())?;

    eprintln!("  signing {count} transactions…");
    let today = now_ms().date();
    let expires = world::in_thirty_days();
    let mut load = Vec::with_capacity(count);
    let mut month = 0u64;
    let population = subjects.len();
    for i in 0..count {
        if i % 20 == 0 {
            let turn = i / 20;
            let lender = &devnet.banks[turn % banks.len()];
            let subject = &mut subjects[turn % population];
            load.push(subject.consent(
                lender,
                Purpose::AccountReview,
                InquiryKind::Soft,
                expires,
            )?);
        } else {
            let (index, pass) = (i % population, i / population);
            let bank = pass % banks.len();
            if index == 0 && bank == 0 {
                month += 1;
            }
            let account = format!("loan-{index}-{bank}");
            load.push(world::furnish(
                &mut banks[bank],
                bank,
                &subjects[index],
                tradeline(&account, month, today)?,
            )?);
        }
    }
    Ok(load)
}
