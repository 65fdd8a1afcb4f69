//! A furnisher's side of disputes: the disputes of records it furnished, and its answer to
//! one — verified, deleted, or corrected with a new record sealed here to the subject.

use crate::{Finalised, Session, SessionError, build, session::furnisher_salt};
use credence_crypto::KeyFile;
use credence_types::{
    DisputeId, Payload,
    metro2::Tradeline,
    state::{Dispute, Record},
    transaction::{AnswerDispute, DisputeAnswer},
};

/// How a furnisher answers a dispute.
#[derive(Clone, Debug)]
pub enum Answer {
    /// The record is accurate as reported.
    Verified,
    /// The record is withdrawn: the account is deleted (it comes back only by superseding
    /// the disputed record).
    Deleted,
    /// The record is replaced by this tradeline, which must be the same account's.
    Corrected(Box<Tradeline>),
}

impl Session {
    /// Every dispute of a record the institution of `key` furnished, oldest first.
    pub async fn disputes_received(&self, key: &KeyFile) -> Result<Vec<Dispute>, SessionError> {
        let institution = self.institution_of(key).await?;
        self.listing(&format!("institutions/{}/disputes", institution.0))
            .await
    }

    /// Answers dispute `id` as the furnisher of its record.
    pub async fn answer_dispute(
        &self,
        key: &KeyFile,
        id: DisputeId,
        answer: Answer,
    ) -> Result<Finalised, SessionError> {
        let answer = match answer {
            Answer::Verified => DisputeAnswer::Verified,
            Answer::Deleted => DisputeAnswer::Deleted,
            Answer::Corrected(tradeline) => {
                let dispute: Dispute = self
                    .node
                    .entry(&format!("disputes/{}", id.0))
                    .await?
                    .value
                    .ok_or(SessionError::DisputeUnknown(id))?;
                let record: Record = self
                    .node
                    .entry(&format!("records/{}", dispute.record.0))
                    .await?
                    .value
                    .ok_or(SessionError::Malformed("a dispute's record is missing"))?;
                let account = build::account_reference(
                    &furnisher_salt(key).0,
                    tradeline.account_number.as_str(),
                );
                if account != record.account {
                    return Err(SessionError::CorrectionOfAnotherAccount(id));
                }
                let sealing = self.report_key(&record.subject).await?;
                let payload = build::furnish(
                    &record.subject,
                    &sealing.report_key,
                    sealing.epoch,
                    account,
                    *tradeline,
                    Some(record.id),
                )?;
                let Payload::FurnishRecord(correction) = payload else {
                    return Err(SessionError::Malformed("a furnishing that is not one"));
                };
                DisputeAnswer::Corrected(Box::new(correction))
            }
        };
        self.transact(
            key,
            Payload::AnswerDispute(AnswerDispute {
                dispute: id,
                answer,
            }),
        )
        .await
    }
}
