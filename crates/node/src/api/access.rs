//! Who reads, and what they may read: the API's least privilege.
//!
//! A request names its reader by signing (see [`credence_types::access`]): the node checks the
//! time and the signature, then looks the key up in its latest committed state, so a rotated
//! key, a suspended institution or an unknown key reads nothing. A request with no signature
//! is anonymous and reaches only the public routes.
//!
//! Each entry has an [`Audience`]: the subject it is about, the institutions party to it, and
//! whether lenders holding a consent in force from that subject may read it. The regulator
//! reads everything (its supervisory reads are transactions, on the ledger); validators also
//! read the raw chain (blocks, raw state, every event), which they hold on their own disks
//! anyway. Everything else is refused with `read_forbidden`.

use super::{ApiError, Shared, unavailable};
use axum::{extract::FromRequestParts, http::request::Parts};
use credence_crypto::signing::verify_signature;
use credence_types::{
    ApiErrorCode, InstitutionId, PublicKey, Role, Roles, Signature, SubjectId,
    access::{KEY_HEADER, READ_NAMESPACE, REQUEST_FRESHNESS_MS, SIGNATURE_HEADER, TIME_HEADER},
    codec::decode,
    lending::{Asset, Loan, Owner},
    state::{Consent, Dispute, Inquiry, Institution, Principal, Record, Signer, StateKey, Subject},
};

/// A reader whose signature verified and whose key the ledger binds to it now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reader {
    /// An active member institution.
    Institution {
        /// Its id.
        id: InstitutionId,
        /// Its roles.
        roles: Roles,
    },
    /// A registered subject, reading its own file.
    Subject(SubjectId),
}

impl Reader {
    fn has(&self, role: Role) -> bool {
        matches!(self, Reader::Institution { roles, .. } if roles.has(role))
    }

    /// Whether this is the regulator, which reads everything.
    pub fn is_regulator(&self) -> bool {
        self.has(Role::Regulator)
    }

    /// The institution reading, if an institution reads.
    pub fn institution(&self) -> Option<InstitutionId> {
        match self {
            Reader::Institution { id, .. } => Some(*id),
            Reader::Subject(_) => None,
        }
    }

    /// The subject reading its own file, if a subject reads.
    pub fn subject(&self) -> Option<SubjectId> {
        match self {
            Reader::Subject(id) => Some(*id),
            Reader::Institution { .. } => None,
        }
    }
}

/// Who sent a request: the key whose signature verified, if any, and the [`Reader`] the
/// ledger binds it to, if any. A key bound to nobody yet (a subject before its registration
/// is final) reads only its own transactions.
#[derive(Clone, Debug)]
pub struct Caller {
    key: Option<PublicKey>,
    reader: Option<Reader>,
}

impl Caller {
    /// The reader: `unauthenticated` for an anonymous request, `signer_unknown` for a key the
    /// ledger binds to nobody.
    pub fn reader(&self) -> Result<&Reader, ApiError> {
        match (&self.reader, &self.key) {
            (Some(reader), _) => Ok(reader),
            (None, Some(_)) => Err(unknown_signer()),
            (None, None) => Err(ApiError::new(
                ApiErrorCode::Unauthenticated,
                "this route serves signed requests only: see docs/reference/api-errors.md",
            )),
        }
    }

    /// Refuses an anonymous request; a verified key, bound or not, passes.
    pub fn signed(&self) -> Result<(), ApiError> {
        match self.key {
            Some(_) => Ok(()),
            None => self.reader().map(|_| ()),
        }
    }

    /// Allows the signer of a transaction (its key `signer`), validators and the regulator:
    /// what a transaction caused.
    pub fn transaction_signer(&self, signer: &PublicKey) -> Result<(), ApiError> {
        if self.key.as_ref() == Some(signer) {
            return Ok(());
        }
        let reader = self.reader()?;
        if reader.is_regulator() || reader.has(Role::Validator) {
            Ok(())
        } else {
            Err(forbidden("what a transaction caused is read by its signer"))
        }
    }

    /// Allows the regulator and validators only: the raw chain (blocks, raw state, every
    /// event).
    pub fn chain_reader(&self) -> Result<&Reader, ApiError> {
        let reader = self.reader()?;
        if reader.is_regulator() || reader.has(Role::Validator) {
            Ok(reader)
        } else {
            Err(forbidden(
                "blocks, raw state and the whole event stream are for validators and the regulator",
            ))
        }
    }

    /// Allows the institution `id` itself and the regulator: an institution's own listings.
    pub fn institution_itself(&self, id: InstitutionId) -> Result<(), ApiError> {
        let reader = self.reader()?;
        if reader.is_regulator() || reader.institution() == Some(id) {
            Ok(())
        } else {
            Err(forbidden(
                "an institution's listings are its own and the regulator's",
            ))
        }
    }

    /// Allows the holder of the signing key `key`, validators and the regulator: an account's
    /// nonce.
    pub fn key_holder(&self, key: &PublicKey) -> Result<(), ApiError> {
        let reader = self.reader()?;
        if self.key.as_ref() == Some(key) || reader.is_regulator() || reader.has(Role::Validator) {
            Ok(())
        } else {
            Err(forbidden("an account is read by its own key"))
        }
    }
}

fn forbidden(message: &str) -> ApiError {
    ApiError::new(ApiErrorCode::ReadForbidden, message)
}

impl<E> FromRequestParts<Shared<E>> for Caller
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, api: &Shared<E>) -> Result<Self, ApiError> {
        let Some(signed) = SignedRequest::from_parts(parts)? else {
            return Ok(Caller {
                key: None,
                reader: None,
            });
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        if now.abs_diff(signed.time_ms) > REQUEST_FRESHNESS_MS {
            return Err(ApiError::new(
                ApiErrorCode::RequestExpired,
                format!(
                    "the request's time is {} ms from this node's clock; at most {REQUEST_FRESHNESS_MS} is accepted",
                    now.abs_diff(signed.time_ms)
                ),
            ));
        }
        let path = parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path(), |p| p.as_str());
        let message = credence_types::access::request_message(
            api.node.settings.chain_id.as_str(),
            parts.method.as_str(),
            path,
            signed.time_ms,
        );
        verify_signature(&signed.key, READ_NAMESPACE, &message, &signed.signature).map_err(
            |_| {
                ApiError::new(
                    ApiErrorCode::RequestSignatureInvalid,
                    "the signature does not verify over this chain, method, path and time",
                )
            },
        )?;
        Ok(Caller {
            key: Some(signed.key),
            reader: reader_of(api, &signed.key).await?,
        })
    }
}

/// The three signature headers of a request, parsed; `None` when it carries none of them.
struct SignedRequest {
    key: PublicKey,
    time_ms: u64,
    signature: Signature,
}

impl SignedRequest {
    fn from_parts(parts: &Parts) -> Result<Option<Self>, ApiError> {
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .map(|value| value.to_str().unwrap_or_default())
        };
        let (key, time, signature) = match (
            header(KEY_HEADER),
            header(TIME_HEADER),
            header(SIGNATURE_HEADER),
        ) {
            (None, None, None) => return Ok(None),
            (Some(key), Some(time), Some(signature)) => (key, time, signature),
            _ => return Err(malformed("a signed request carries all three headers")),
        };
        let key: PublicKey = key
            .parse()
            .map_err(|_| malformed("`credence-key` is not 64 hex digits"))?;
        let time_ms: u64 = time
            .parse()
            .map_err(|_| malformed("`credence-time` is not Unix milliseconds"))?;
        let mut bytes = [0u8; 64];
        hex::decode_to_slice(signature, &mut bytes)
            .map_err(|_| malformed("`credence-signature` is not 128 hex digits"))?;
        Ok(Some(Self {
            key,
            time_ms,
            signature: Signature(bytes),
        }))
    }
}

fn malformed(message: &str) -> ApiError {
    ApiError::new(ApiErrorCode::RequestSignatureInvalid, message)
}

fn unknown_signer() -> ApiError {
    ApiError::new(
        ApiErrorCode::SignerUnknown,
        "this key is no active institution's or subject's current signing key",
    )
}

/// The reader the ledger binds to `key` now, if any.
async fn reader_of<E>(api: &Shared<E>, key: &PublicKey) -> Result<Option<Reader>, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    let chain = api.node.chain.lock().await;
    let store = chain.store();
    let signer: Signer = match store
        .get(&StateKey::signer(key))
        .await
        .map_err(unavailable)?
    {
        Some(bytes) => decode(&bytes).map_err(unavailable)?,
        None => return Ok(None),
    };
    match signer.principal {
        Principal::Subject(id) => Ok(Some(Reader::Subject(id))),
        Principal::Institution(id) => {
            let bytes = store
                .get(&StateKey::institution(id))
                .await
                .map_err(unavailable)?
                .ok_or_else(|| unavailable("a signer names an institution that is not stored"))?;
            let institution: Institution = decode(&bytes).map_err(unavailable)?;
            if institution.suspended || institution.signing_key != *key {
                return Ok(None);
            }
            Ok(Some(Reader::Institution {
                id,
                roles: institution.roles,
            }))
        }
        Principal::Retired => Ok(None),
    }
}

/// Who may read an entry, besides the regulator.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Audience {
    /// The subject it is about, who reads it.
    pub subject: Option<SubjectId>,
    /// Whether a lender holding a consent in force from that subject reads it too: the
    /// subject's file. Not for its consents and its soft and supervisory inquiries.
    pub consented: bool,
    /// The institutions party to it.
    pub parties: Vec<InstitutionId>,
    /// Every signed reader reads it: the institution directory.
    pub members: bool,
    /// Every furnisher reads it: a subject's current report key, which a furnisher seals each
    /// record to.
    pub furnishers: bool,
}

impl Audience {
    /// A subject's file: the subject and its consented lenders.
    pub fn file_of(subject: SubjectId) -> Self {
        Self {
            subject: Some(subject),
            consented: true,
            ..Self::default()
        }
    }

    /// A subject's current report key: the subject's file's readers, and every furnisher.
    pub fn report_key_of(subject: SubjectId) -> Self {
        Self {
            furnishers: true,
            ..Self::file_of(subject)
        }
    }

    /// Only the subject (and the regulator).
    pub fn private_to(subject: SubjectId) -> Self {
        Self {
            subject: Some(subject),
            ..Self::default()
        }
    }

    fn with(mut self, party: InstitutionId) -> Self {
        self.parties.push(party);
        self
    }

    fn owned_by(owner: Owner) -> Self {
        match owner {
            Owner::Subject(subject) => Self::file_of(subject),
            Owner::Institution(id) => Self::default().with(id),
        }
    }
}

/// An entry's [`Audience`].
pub trait Audited {
    /// Who may read it.
    fn audience(&self) -> Audience;
}

impl Audited for Institution {
    fn audience(&self) -> Audience {
        Audience {
            members: true,
            ..Audience::default()
        }
    }
}

impl Audited for Subject {
    fn audience(&self) -> Audience {
        Audience::file_of(self.id)
    }
}

impl Audited for Record {
    fn audience(&self) -> Audience {
        Audience::file_of(self.subject).with(self.furnisher)
    }
}

impl Audited for Consent {
    fn audience(&self) -> Audience {
        Audience::private_to(self.subject).with(self.lender)
    }
}

impl Audited for Inquiry {
    fn audience(&self) -> Audience {
        if self.basis.is_hard() {
            Audience::file_of(self.subject).with(self.institution)
        } else {
            // Soft and supervisory inquiries: the subject and the regulator only.
            Audience::private_to(self.subject)
        }
    }
}

impl Audited for Dispute {
    fn audience(&self) -> Audience {
        Audience::file_of(self.subject).with(self.furnisher)
    }
}

impl Audited for Asset {
    fn audience(&self) -> Audience {
        let mut audience = Audience::owned_by(self.owner).with(self.registrar);
        audience.parties.extend(self.appraiser);
        audience.parties.extend(self.liquidation);
        audience
    }
}

impl Audited for Loan {
    fn audience(&self) -> Audience {
        Audience::owned_by(self.terms.borrower).with(self.lender)
    }
}

/// Allows `caller` to read what `audience` may, or refuses: `unauthenticated` when anonymous,
/// `read_forbidden` when not entitled.
pub async fn permit<E>(
    api: &Shared<E>,
    caller: &Caller,
    audience: &Audience,
) -> Result<(), ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    let reader = caller.reader()?;
    if reader.is_regulator()
        || audience.members
        || audience.furnishers && reader.has(Role::Furnisher)
        || audience.subject.is_some() && reader.subject() == audience.subject
        || reader
            .institution()
            .is_some_and(|id| audience.parties.contains(&id))
    {
        return Ok(());
    }
    if let (true, Some(subject), Some(lender)) =
        (audience.consented, audience.subject, reader.institution())
        && holds_consent(api, &subject, lender).await?
    {
        return Ok(());
    }
    Err(forbidden(
        "not entitled: no consent in force from this subject, and not a party to this entry",
    ))
}

/// Whether `lender` holds a consent from `subject` in force at the latest committed block.
async fn holds_consent<E>(
    api: &Shared<E>,
    subject: &SubjectId,
    lender: InstitutionId,
) -> Result<bool, ApiError>
where
    E: commonware_storage::Context + commonware_runtime::Spawner,
{
    let chain = api.node.chain.lock().await;
    let now = chain.tip().header.time;
    let store = chain.store();
    let Some(bytes) = store
        .get(&StateKey::subject(subject))
        .await
        .map_err(unavailable)?
    else {
        return Ok(false);
    };
    let subject: Subject = decode(&bytes).map_err(unavailable)?;
    let keys: Vec<StateKey> = subject
        .active_consents
        .iter()
        .map(|id| StateKey::consent(*id))
        .collect();
    for bytes in store
        .get_many(&keys)
        .await
        .map_err(unavailable)?
        .into_iter()
        .flatten()
    {
        let consent: Consent = decode(&bytes).map_err(unavailable)?;
        if consent.lender == lender && consent.is_active_at(now) {
            return Ok(true);
        }
    }
    Ok(false)
}
